"""Opt-in access to the official LUNA code, for parity tests.

Set LUNA_REF to a checkout of pulp-bio/BioFoundation (its `models/` directory is
enough) and, if its dependencies (timm, rotary-embedding-torch, einops, torcheeg)
are not importable, LUNA_REF_LIBS to extra import paths (os.pathsep-separated).
Nothing of the official code is part of neurokit.
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from types import ModuleType

import pytest


def official_modules() -> tuple[ModuleType, ModuleType]:
    """(models.LUNA, models.modules.channel_embeddings) from the official checkout, or skip."""
    ref = os.environ.get("LUNA_REF")
    if not ref:
        pytest.skip("set LUNA_REF to a pulp-bio/BioFoundation checkout to run parity tests")
    extra = [p for p in os.environ.get("LUNA_REF_LIBS", "").split(os.pathsep) if p]
    for path in [ref, *extra][::-1]:
        if path not in sys.path:
            sys.path.insert(0, path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            luna = importlib.import_module("models.LUNA")
            channels = importlib.import_module("models.modules.channel_embeddings")
    except ImportError as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"official LUNA code not importable: {exc}")
    return luna, channels
