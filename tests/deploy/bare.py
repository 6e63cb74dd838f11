"""A TrainedModel around a freshly built small backbone (no run): for family contract tests."""

from __future__ import annotations

import numpy as np
from torch import nn

from neurokit.core.data.channels import channel_positions
from neurokit.core.engine.resolve import RunSpec, resolve
from neurokit.core.registry import get_registry
from neurokit.deploy.trained import TrainedModel

CHANNELS = ["FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8",
            "T3", "T4", "T5", "T6", "FZ", "CZ", "PZ"]  # fmt: skip


class Holder(nn.Module):
    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone


def bare_model(
    backbone: str, seconds: float = 2.0, sfreq: float = 200.0, **options
) -> TrainedModel:
    """`backbone` (small `options`) with a fresh 2-class head, in eval mode, 19 channels."""
    module = get_registry().get("backbone", backbone).create(options)
    module.reset_classifier(2)
    config = resolve(
        RunSpec(
            model=backbone,
            overrides={"dataset.name": "demo", **{f"model.{k}": v for k, v in options.items()}},
        )
    ).config
    return TrainedModel(
        stage=Holder(module).eval(),
        run_dir=__import__("pathlib").Path("bare"),
        config=config,
        channels=list(CHANNELS),
        sfreq=sfreq,
        window_samples=int(seconds * sfreq),
        stride_samples=int(seconds * sfreq),
        classes=["normal", "abnormal"],
        family=get_registry().family_of_backbone(backbone).name,
        backbone_name=backbone,
        mode="binary",
        positions=np.array(channel_positions(CHANNELS)[0]),
    )
