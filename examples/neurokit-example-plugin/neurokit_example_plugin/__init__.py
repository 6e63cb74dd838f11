"""Example neurokit plugin: the hook implementations neurokit calls on load."""

from __future__ import annotations

from pydantic import Field

from neurokit import ComponentConfig, hookimpl


class ExampleMLPConfig(ComponentConfig):
    """Options of `example-mlp`."""

    num_classes: int = Field(0, ge=0, description="classifier outputs (0 = features only)")
    hidden: int = Field(32, ge=1, description="hidden width")
    bands: int = Field(8, ge=1, description="log-spaced frequency bands per channel")


class ExampleNpyConfig(ComponentConfig):
    """Options of `example-npy`."""

    classes: list[str] = Field(
        ["normal", "abnormal"], description="class names; file labels index them"
    )


def build_example_mlp(config: ExampleMLPConfig):
    """Two-layer MLP over per-channel log band powers, averaged over channels."""
    from neurokit_example_plugin.model import ExampleMLP

    return ExampleMLP(config)


def build_example_npy(config: ExampleNpyConfig):
    """A folder of `<subject>_<label>.npy` recordings with a meta.json (sfreq, channels)."""
    from neurokit_example_plugin.dataset import ExampleNpyDataset

    return ExampleNpyDataset(config)


@hookimpl
def register_backbones(register):
    register("example-mlp", build_example_mlp, config=ExampleMLPConfig)


@hookimpl
def register_datasets(register):
    register("example-npy", build_example_npy, config=ExampleNpyConfig)
