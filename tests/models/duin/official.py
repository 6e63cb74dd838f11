"""Build the official Du-IN models from a checkout (DUIN_REF) for parity tests and benchmarks.

Only read when DUIN_REF points at a liulab-repository/Du-IN checkout (it needs einops).
The shape parameters are set as the official `__main__` of models/duin/duin.py does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def official_ref() -> Path | None:
    ref = os.environ.get("DUIN_REF")
    return Path(ref) if ref and (Path(ref) / "models" / "duin" / "duin.py").is_file() else None


def _import(ref: Path):
    if str(ref) not in sys.path:
        sys.path.insert(0, str(ref))
    import models.duin.duin as duin
    import params.duin_params as duin_params

    return duin, duin_params


def _shape(model, n_channels, n_subjects, seq_len):
    model.n_subjects = model.subj.n_subjects = n_subjects
    model.n_channels = model.subj.d_input = n_channels
    model.seq_len = seq_len
    token_len = seq_len // model.tokenizer.seg_len
    model.tokenizer.token_len = model.encoder.emb_len = token_len
    return token_len


def build_official(kind: str, n_channels=10, n_subjects=1, seq_len=4000, n_labels=61):
    """The official `duin_vqvae` / `duin_mae` / `duin_cls` for seeg_he2023xuanwu."""
    duin, duin_params = _import(official_ref())
    params = getattr(duin_params, f"duin_{kind}_params")(dataset="seeg_he2023xuanwu").model
    token_len = _shape(params, n_channels, n_subjects, seq_len)
    if kind == "vqvae":
        params.desubj.n_subjects = n_subjects
        params.desubj.d_output = n_channels
        params.decoder.emb_len = params.rgs.emb_len = token_len
    if kind == "cls":
        params.cls.d_feature = params.encoder.d_model * token_len
        params.cls.n_labels = n_labels
    return getattr(duin, f"duin_{kind}")(params)
