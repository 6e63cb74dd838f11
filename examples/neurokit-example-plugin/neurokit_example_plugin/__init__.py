"""Example neurokit plugin: the hook implementations neurokit calls when it loads the plugin.

It registers a backbone (`example-shallow`), a dataset (`example-npy`), a task with
its own Stage (`example-probe`) and a model family (`example`) whose two stages are a
linear probe and a full fine-tune. This module stays torch-free so that
`neurokit list` is fast: the factories import the torch modules when called.
"""

from __future__ import annotations

from pydantic import Field

from neurokit import ComponentConfig, Family, StageSpec, Task, hookimpl
from neurokit.core.data.preprocess import DatasetConfig
from neurokit.core.interfaces import DataView

TEN_TWENTY = ["FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ", "C4", "T4",
              "T5", "P3", "PZ", "P4", "T6", "O1", "O2"]  # fmt: skip


class ShallowConfig(ComponentConfig):
    """Options of `example-shallow` (`--set model.filters=40`)."""

    num_classes: int = Field(0, ge=0, description="classifier outputs (0 = features only)")
    filters: int = Field(40, ge=1, description="temporal filters = pooled feature width")
    kernel: int = Field(25, ge=2, description="temporal filter length in samples")
    pool: int = Field(75, ge=2, description="average-pooling length in samples")


class ExampleNpyConfig(DatasetConfig):
    """Options of `example-npy`; DatasetConfig adds `profile` and `preprocessing`."""

    classes: list[str] = Field(["normal", "abnormal"], description="class names, in label order")
    channels: list[str] = Field(TEN_TWENTY, description="channel names of the array rows")
    sfreq: float = Field(200.0, gt=0, description="sampling rate of the arrays in Hz")
    val_fraction: float = Field(0.2, ge=0, lt=1, description="subjects for val (no split column)")
    test_fraction: float = Field(0.2, ge=0, lt=1, description="subjects for test (no split column)")
    seed: int = Field(0, description="seed of the subject split")


class ProbeConfig(ComponentConfig):
    """Options of `example-probe`."""

    window_seconds: float = Field(4.0, gt=0, description="window length the probe trains on")


class ProbeTask(Task):
    """Linear probe: train a read-out on frozen backbone features."""

    accepts = ("*",)  # glob patterns of backbone names this task can train

    def data_view(self) -> DataView:
        return DataView(window_seconds=self.config.window_seconds, labels=True)

    def build(self, context):
        from neurokit_example_plugin.stages import build_probe

        return build_probe(self, context)


def build_shallow(config: ShallowConfig):
    """ShallowConvNet-style log band power of learned filters, averaged over any montage."""
    from neurokit_example_plugin.model import ShallowNet

    return ShallowNet(config)


def build_npy(config: ExampleNpyConfig):
    """A folder of .npy arrays (channels x samples, uV) listed in labels.csv."""
    from neurokit_example_plugin.dataset import ExampleNpyDataset

    return ExampleNpyDataset(config)


# Recipes are run-config defaults by section; the user's --config and --set go on top.
RECIPE = {"trainer": {"epochs": 10, "lr": 1e-3}, "data": {"window_seconds": 4.0, "batch_size": 32}}
SMALL = {"model.filters": 8, "data.batch_size": 8}  # `pipeline --small`: CPU-sized, same code

EXAMPLE = Family(
    name="example",
    description="ShallowConvNet-style example: a linear probe or a full fine-tune",
    backbone="example-shallow",
    stages=(
        StageSpec(
            "probe",
            task="example-probe",
            recipe=RECIPE,
            small=SMALL,
            description="train a linear read-out on frozen features",
        ),
        StageSpec(
            "finetune",
            task="finetune",
            recipe=RECIPE,
            small=SMALL,
            description="train the whole network with its own classifier",
        ),
    ),  # fmt: skip
)


@hookimpl
def register_backbones(register):
    register("example-shallow", build_shallow, config=ShallowConfig)


@hookimpl
def register_datasets(register):
    register("example-npy", build_npy, config=ExampleNpyConfig)


@hookimpl
def register_tasks(register):
    register("example-probe", ProbeTask, config=ProbeConfig)


@hookimpl
def register_models(register):
    register("example", EXAMPLE)
