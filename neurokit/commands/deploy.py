"""What `neurokit predict`, `embed` and `export` delegate to: load the run, do it, print it."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from neurokit import console as out
from neurokit.core.errors import DataError


def _load(run_dir: str):
    from neurokit.deploy import load_trained

    return load_trained(run_dir)


def _skipped(skipped: list[tuple[str, str]]) -> None:
    for name, reason in skipped:
        out.warning(f"skipped {name}: {reason}")


def _nothing_usable(input_path: str, skipped: list[tuple[str, str]]) -> DataError:
    if len(skipped) == 1:
        return DataError(skipped[0][1])
    reasons = "; ".join(f"{name}: {reason}" for name, reason in skipped)
    return DataError(f"no recording under {input_path!r} could be used ({reasons})")


def _default_out(input_path: str, suffix: str) -> Path:
    stem = Path(str(input_path).rstrip("/")).stem or "input"
    return Path(f"{stem}{suffix}")


def run_predict(
    run_dir: str,
    input_path: str,
    out_path: str | None,
    batch_size: int,
    as_json: bool,
    allow_profile_mismatch: bool = False,
) -> None:
    """Predict every window of every recording under INPUT; write rows and a summary table."""
    from neurokit.deploy.inputs import find_inputs
    from neurokit.deploy.predict import check_output, predict, summary_path, write_table

    target = check_output(out_path or _default_out(input_path, "-predictions.csv"))
    model = _load(run_dir)
    problems: list[tuple[str, str]] = []
    inputs = find_inputs(input_path, model, problems, allow_profile_mismatch)
    result = predict(model, inputs, batch_size)
    skipped = problems + result.skipped
    if not result.summary["recording"]:
        raise _nothing_usable(input_path, skipped)
    write_table(result.windows, target)
    summary = write_table(result.summary, summary_path(target))
    report = {
        "windows": len(result.windows["recording"]),
        "recordings": len(result.summary["recording"]),
        "skipped": [{"recording": n, "reason": r} for n, r in skipped],
        "out": str(target),
        "summary": str(summary),
    }
    if as_json:
        out.print_json({**report, "per_recording": result.summary})
        return
    _skipped(skipped)
    columns = list(result.summary)
    rows = [
        [f"{v:.4f}" if isinstance(v, float) else v for v in row]
        for row in zip(*(result.summary[c] for c in columns), strict=True)
    ]
    out.table(f"{model.backbone_name} on {input_path}", columns, rows)
    out.console.print(
        f"{report['windows']} windows of {model.window_seconds:g} s from "
        f"{report['recordings']} recording(s) -> {target} (summary: {summary})"
    )


def run_embed(
    run_dir: str,
    input_path: str,
    out_path: str,
    per_token: bool,
    batch_size: int,
    overwrite: bool,
    as_json: bool,
    allow_profile_mismatch: bool = False,
) -> None:
    """Write per-window features of every recording under INPUT to a Zarr group."""
    from neurokit.deploy.embed import embed
    from neurokit.deploy.inputs import find_inputs

    model = _load(run_dir)
    problems: list[tuple[str, str]] = []
    inputs = find_inputs(input_path, model, problems, allow_profile_mismatch)
    summary = embed(model, inputs, out_path, per_token, batch_size, overwrite)
    if not summary.windows:
        raise _nothing_usable(input_path, problems + summary.skipped)
    skipped = problems + summary.skipped
    report = {
        "out": str(summary.out),
        "windows": summary.windows,
        "recordings": len(summary.recordings),
        "pooled_shape": list(summary.pooled_shape),
        "tokens_shape": list(summary.tokens_shape) if summary.tokens_shape else None,
        "skipped": [{"recording": n, "reason": r} for n, r in skipped],
    }
    if as_json:
        out.print_json(report)
        return
    _skipped(skipped)
    tokens = f", tokens {tuple(summary.tokens_shape)}" if summary.tokens_shape else ""
    out.console.print(
        f"{summary.windows} windows from {len(summary.recordings)} recording(s) -> "
        f"{summary.out} (pooled {tuple(summary.pooled_shape)}{tokens})"
    )


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporters print graphs and warnings; the CLI shows its own summary instead."""
    if os.environ.get("NEUROKIT_DEBUG"):
        yield
        return
    loggers = [logging.getLogger(n) for n in ("torch", "torch.onnx", "torch.export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR + 10)
    sink = io.StringIO()
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def run_export(
    run_dir: str, fmt: str, out_dir: str, check_input: str | None, as_json: bool
) -> None:
    """Export the run's model to OUT in FORMAT, check it against PyTorch, write the card."""
    from neurokit.deploy.export import export

    model = _load(run_dir)
    with _quiet_exporter():
        result = export(model, fmt, out_dir, check_input)
    report: dict[str, Any] = {
        "format": fmt,
        "out": str(result.out),
        "files": [str(p) for p in result.files],
        "max_abs_diff": result.checks,
    }
    if as_json:
        out.print_json(report)
        return
    rows = [[name, f"{diff:.3g}"] for name, diff in result.checks.items()]
    out.table(f"{model.backbone_name} -> {fmt}: max abs diff vs PyTorch", ["check", "diff"], rows)
    out.console.print(f"wrote {', '.join(p.name for p in result.files)} to {result.out}")
