"""`tiny-cnn`: a compact, montage-agnostic CNN, the reference backbone for tests and the demo.

It proves the engine before the big models: any channel set, any sampling rate,
seconds on a CPU. Torch is imported only when the model is built.
"""

from __future__ import annotations

from pydantic import Field

from neurokit import ComponentConfig, hookimpl
from neurokit.core.family import Family, StageSpec


class TinyCNNConfig(ComponentConfig):
    """Options of `tiny-cnn`."""

    num_classes: int = Field(0, ge=0, description="classifier outputs (0 = features only)")
    width: int = Field(32, ge=4, description="feature width of the last conv stage")
    depth: int = Field(3, ge=1, le=8, description="conv stages, each halving the time axis")
    kernel_size: int = Field(7, ge=3, description="temporal kernel size (odd)")
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="dropout before the head")
    input_scale: float = Field(
        0.01, gt=0, description="multiplies the microvolt signal (0.01: uV/100)"
    )


def build_tiny_cnn(config: TinyCNNConfig):
    """Compact per-channel CNN with masked pooling over channels; any montage."""
    from neurokit.plugins.models.tinycnn.model import TinyCNN

    return TinyCNN(config)


TINY = Family(
    name="tiny",
    description="tiny-cnn fine-tuned on windows; the quickstart's model",
    backbone="tiny-cnn",
    stages=(
        StageSpec(
            "finetune",
            task="finetune",
            recipe={"trainer": {"lr": 3e-3, "epochs": 25, "warmup_epochs": 1}},
            description="supervised training from scratch",
            small={"model.width": 8, "model.depth": 2, "data.window_seconds": 2},
        ),
    ),
)


@hookimpl
def register_backbones(register):
    register("tiny-cnn", build_tiny_cnn, config=TinyCNNConfig)


@hookimpl
def register_models(register):
    register("tiny", TINY)
