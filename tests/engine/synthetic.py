"""Synthetic data for engine tests: an in-memory window dataset and a tiny store on disk.

Class 1 windows carry an 8 Hz rhythm on top of noise, so a small CNN separates the
classes in a few epochs; everything is seeded so two builds are identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from neurokit.core.data.dataset import Collate, WindowItem

NAMES = ("FP1", "FP2", "C3", "C4")
SFREQ = 64.0


def window(label: int, rng: np.random.Generator, samples: int = 128) -> np.ndarray:
    t = np.arange(samples) / SFREQ
    signal = rng.normal(0.0, 20.0, (len(NAMES), samples))
    if label == 1:
        signal += 60.0 * np.sin(2 * np.pi * 8.0 * t + rng.uniform(0, 2 * np.pi))
    return signal.astype(np.float32)


class ListDataset(torch.utils.data.Dataset):
    """Map-style dataset of WindowItems held in memory (what WindowDataset yields)."""

    def __init__(self, n: int, seed: int, classes: int = 2) -> None:
        rng = np.random.default_rng(seed)
        positions = np.zeros((len(NAMES), 3), dtype=np.float32)
        self.items = [
            WindowItem(window(i % classes, rng), NAMES, positions, i % classes, f"r{i}", 0)
            for i in range(n)
        ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> WindowItem:
        return self.items[index]


def build(
    run_dir: Path | None,
    n_train: int = 64,
    n_val: int = 32,
    n_test: int = 32,
    batch_size: int = 8,
    dropout: float = 0.1,
    resume: bool = False,
    seed: int = 0,
    **trainer: Any,
):
    """(module, context, trainer) for tiny-cnn fine-tuned on synthetic windows."""
    from neurokit import get_component
    from neurokit.core.config import RunConfig
    from neurokit.core.interfaces import DataInfo, RunContext

    config = RunConfig.model_validate(
        {
            "model": {"name": "tiny-cnn"},
            "task": {"name": "finetune"},
            "dataset": {"name": "synthetic"},
            "data": {"batch_size": batch_size},
            "seed": seed,
        }
    )
    torch.manual_seed(seed)
    task = get_component("task", "finetune").create()
    context = RunContext(
        config=config,
        task_config=task.config,
        data=DataInfo(
            sfreq=SFREQ,
            window_samples=128,
            channel_names=list(NAMES),
            class_names=["a", "b"],
            class_counts=[n_train // 2, n_train - n_train // 2],
        ),
        backbone=get_component("backbone", "tiny-cnn").create(width=8, depth=2, dropout=dropout),
        objective=get_component("objective", "classification").create(),
        datasets={
            "train": ListDataset(n_train, 1),
            "val": ListDataset(n_val, 2),
            "test": ListDataset(n_test, 3),
        },
        collate=Collate(SFREQ),
        run_dir=run_dir,
        resume=resume,
    )
    module = task.build(context)
    options = {
        "epochs": 3,
        "lr": 3e-3,
        "warmup_steps": 2,
        "log_every": 1,
        "progress": False,
        **trainer,
    }
    trainer_obj = get_component("trainer", "default").create(**options)
    return module, context, trainer_obj


def write_store(
    path: Path,
    labelled: bool = True,
    recordings: int = 12,
    seconds: float = 16.0,
    swap_classes: bool = False,
    class_names: list[str] | None = None,
    labels: list[int] | None = None,
    preprocessing: dict[str, Any] | None = None,
) -> Path:
    """A small store in the neurokit format: 4 channels at 64 Hz, train/val/test by recording.

    `swap_classes` writes the same signals with the class order reversed (names and labels).
    """
    from neurokit.core.data.schema import StoreSchema
    from neurokit.core.data.writer import StoreWriter
    from neurokit.core.interfaces import Recording, RecordingSource

    rng = np.random.default_rng(0)
    writer = StoreWriter(path)
    writer.create(
        StoreSchema(
            dataset="synthetic",
            sfreq=SFREQ,
            class_names=(class_names or (["b", "a"] if swap_classes else ["a", "b"]))
            if labelled
            else [],
            label_kind="recording" if labelled else "none",
            preprocessing=dict(preprocessing or {}),
        )
    )
    splits = ["train"] * (recordings // 2) + ["val"] * (recordings // 4)
    splits += ["test"] * (recordings - len(splits))
    for i, split in enumerate(splits):
        label = labels[i] if labels is not None else i % 2
        data = np.concatenate(
            [window(label, rng, int(4 * SFREQ)) for _ in range(int(seconds // 4))], axis=1
        )
        stored = 1 - label if swap_classes else label
        source = RecordingSource(
            Path(f"r{i}.edf"), f"r{i}", f"s{i}", split=split, label=stored if labelled else None
        )
        writer.write(Recording(source, data, list(NAMES), SFREQ))
    writer.finalize()
    return path
