"""Batches for model tests: the shipped contract suite's builder (`neurokit.testing.batches`)."""

from __future__ import annotations

from neurokit.testing.batches import make_batch

__all__ = ["make_batch"]
