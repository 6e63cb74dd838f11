"""`neurokit export`: a trained run as ONNX, TorchScript or safetensors, with a model card.

The exported graph maps windows (batch, channels, samples) in microvolts, in the
card's channel order and rate, to class probabilities (batch, classes); the batch
size is dynamic. ONNX goes through the dynamo exporter (`torch.onnx.export(...,
dynamo=True)`) and is checked with onnxruntime against PyTorch on random and real
windows (max abs difference in the card); TorchScript is traced and checked the
same way (on another batch size too); safetensors holds the backbone's weights
under their own key names.

Family contract: a backbone that cannot be exported to a format says so with a class
attribute `export_unsupported = {"onnx": "why"}`, one without class probabilities with
`predict_unsupported = "why"` (only its weights export); any other failure of the
exporter is reported as that family's failure with the exporter's reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from neurokit.core.errors import ConfigError, NeurokitError
from neurokit.deploy.trained import TrainedModel

FORMATS = ("onnx", "torchscript", "safetensors")
TOLERANCE = 1e-4  # max abs difference in probabilities between the export and PyTorch


class ExportError(NeurokitError):
    """A model that cannot be exported to a format, or whose export disagrees with PyTorch."""


class ProbabilityModel(nn.Module):
    """windows (B, C, T) microvolts -> probabilities (B, K): the graph every format holds."""

    def __init__(self, model: TrainedModel) -> None:
        super().__init__()
        self.stage = model.stage
        object.__setattr__(self, "_model", model)  # not a submodule: its stage is

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        return self._model.forward_probabilities(windows)


@dataclass
class ExportResult:
    """What `export` wrote and how closely the export reproduces PyTorch."""

    format: str
    out: Path
    files: list[Path] = field(default_factory=list)
    checks: dict[str, float] = field(default_factory=dict)  # what -> max abs diff
    card: dict[str, Any] = field(default_factory=dict)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


def _who(model: TrainedModel) -> str:
    family = f"family {model.family!r}, " if model.family else ""
    return f"{family}backbone {model.backbone_name!r}"


def _declared_blocker(model: TrainedModel, fmt: str) -> None:
    no_probabilities = getattr(model.backbone, "predict_unsupported", None)
    if no_probabilities and fmt != "safetensors":  # the graph maps windows to probabilities
        raise ExportError(
            f"{_who(model)} cannot be exported to {fmt}: {no_probabilities} "
            "(--format safetensors exports its weights)"
        )
    reasons = getattr(type(model.backbone), "export_unsupported", None) or {}
    if fmt in reasons:
        raise ExportError(f"{_who(model)} cannot be exported to {fmt}: {reasons[fmt]}")


def random_windows(model: TrainedModel, n: int, seed: int = 0) -> torch.Tensor:
    """EEG-scaled noise windows (about 20 uV) in the model's shape."""
    g = torch.Generator().manual_seed(seed)
    return 20.0 * torch.randn(n, len(model.channels), model.window_samples, generator=g)


def real_windows(model: TrainedModel, source: str | Path | None, n: int = 8) -> torch.Tensor | None:
    """Up to `n` windows from `source` (a recording, folder or store), else the run's store."""
    from neurokit.core.errors import DataError
    from neurokit.deploy.inputs import find_inputs, iter_windows

    if source is None:
        from neurokit.core.engine.data import store_location

        try:
            source = store_location(model.config)
        except NeurokitError:
            return None
        if not Path(source).exists():
            return None
    found: list[np.ndarray] = []
    for rec in find_inputs(source, model, allow_profile_mismatch=True):
        try:
            data = rec.read()
        except DataError:
            continue
        for _, windows in iter_windows(data, model, n):
            found.append(windows)
            break
        if sum(len(w) for w in found) >= n:
            break
    if not found:
        return None
    return torch.from_numpy(np.concatenate(found)[:n])


def _max_diff(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


def _check(checks: dict[str, float], tolerance: float, what: str) -> None:
    bad = {k: v for k, v in checks.items() if not v <= tolerance}
    if bad:
        detail = ", ".join(f"{k}: {v:.3g}" for k, v in bad.items())
        raise ExportError(
            f"the {what} export disagrees with PyTorch beyond {tolerance:g} ({detail})"
        )


def _export_onnx(
    model: TrainedModel, out: Path, samples: dict[str, torch.Tensor]
) -> tuple[list[Path], dict[str, float]]:
    try:
        import onnxruntime as ort
        import onnxscript  # noqa: F401
    except ImportError:
        raise ConfigError(
            "--format onnx needs onnx, onnxscript and onnxruntime: pip install 'neurokit[deploy]'"
        ) from None
    module = ProbabilityModel(model).eval()
    path = out / "model.onnx"
    example = samples["random"][:2]
    batch = torch.export.Dim("batch", min=1, max=4096)
    try:
        with torch.no_grad():
            program = torch.onnx.export(
                module,
                (example,),
                dynamo=True,
                dynamic_shapes={"windows": {0: batch}},
                input_names=["windows"],
                output_names=["probabilities"],
                verbose=False,
            )
        program.save(str(path))
    except Exception as exc:  # the exporter raises many types; the family is told why
        raise ExportError(f"{_who(model)} cannot be exported to ONNX: {_reason(exc)}") from None
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    checks = {}
    for name, x in samples.items():
        got = session.run(None, {"windows": x.numpy().astype(np.float32)})[0]
        checks[name] = _max_diff(got, model.predict_windows(x).numpy())
    return [path], checks


def _export_torchscript(
    model: TrainedModel, out: Path, samples: dict[str, torch.Tensor]
) -> tuple[list[Path], dict[str, float]]:
    import warnings

    module = ProbabilityModel(model).eval()
    path = out / "model.pt"
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = torch.jit.trace(module, samples["random"][:2], check_trace=False)
        traced.save(str(path))
    except Exception as exc:
        raise ExportError(
            f"{_who(model)} cannot be exported to TorchScript: {_reason(exc)}"
        ) from None
    loaded = torch.jit.load(str(path))
    checks = {}
    with torch.no_grad():
        for name, x in samples.items():
            checks[name] = _max_diff(loaded(x).numpy(), model.predict_windows(x).numpy())
    return [path], checks


def _export_safetensors(
    model: TrainedModel, out: Path, samples: dict[str, torch.Tensor]
) -> tuple[list[Path], dict[str, float]]:
    from safetensors.torch import load_file, save_file

    path = out / "model.safetensors"
    state = {
        k: v.detach().cpu().clone().contiguous() for k, v in model.backbone.state_dict().items()
    }
    save_file(state, str(path), metadata={"format": "pt", "backbone": model.backbone_name})
    loaded = load_file(str(path))
    diff = max(
        (_max_diff(loaded[k].float(), v.float()) for k, v in state.items() if v.numel()),
        default=0.0,
    )
    return [path], {"weights": diff}


_EXPORTERS = {
    "onnx": _export_onnx,
    "torchscript": _export_torchscript,
    "safetensors": _export_safetensors,
}


def model_card(model: TrainedModel, result: ExportResult) -> dict[str, Any]:
    """What a user of the exported files needs: the signal contract, the checks, versions."""
    card = model.describe()
    card.update(
        format=result.format,
        files=[p.name for p in result.files],
        input={"name": "windows", "shape": ["batch", len(model.channels), model.window_samples],
               "units": "uV", "dtype": "float32"},
        output={"name": "probabilities", "shape": ["batch", len(model.classes) or 1]},
        max_abs_diff=result.checks,
        torch_version=torch.__version__,
        model_options=model.config.model.model_dump(mode="json"),
    )  # fmt: skip
    return card


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (README.md beside the exported files)."""
    prep = card.get("preprocessing") or {}
    band = f"{prep.get('l_freq')}-{prep.get('h_freq')} Hz" if prep else "unknown"
    lines = [
        f"# {card['backbone']} ({card.get('family') or 'no family'}), {card['stage']} run",
        "",
        f"Exported by neurokit {card['neurokit_version']} as **{card['format']}** "
        f"({', '.join(card['files'])}) from `{card['run']}`.",
        "",
        "## Input",
        "",
        f"- windows of shape (batch, {len(card['channels'])}, {card['window_samples']}), float32, microvolts",
        f"- sampling rate: {card['sfreq']:g} Hz; window {card['window_seconds']:g} s "
        f"(stride in evaluation: {card['stride_samples']} samples)",
        f"- channels, in this order: {', '.join(card['channels'])}",
        f"- preprocessing: {prep.get('montage', 'unknown')} montage, band {band}, "
        f"notch {prep.get('notch')}, rate {prep.get('sfreq')}",
        "",
        "## Output",
        "",
        f"- probabilities over classes: {', '.join(card['classes']) or '(regression value)'} "
        f"(mode {card['mode']})",
        "",
        "## Checks",
        "",
    ]
    for name, diff in card["max_abs_diff"].items():
        lines.append(f"- max abs difference vs PyTorch ({name}): {diff:.3g}")
    if card.get("notes"):
        lines += ["", "## Notes", "", *(f"- {note}" for note in card["notes"])]
    lines.append("")
    return "\n".join(lines)


def export(
    model: TrainedModel,
    fmt: str,
    out: str | Path,
    check_input: str | Path | None = None,
    tolerance: float = TOLERANCE,
) -> ExportResult:
    """Export `model` to `out` (a folder) in `fmt`, check it, and write card.json + README.md."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    _declared_blocker(model, fmt)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.stage.eval()
    samples = {"random": random_windows(model, 4)}
    real = real_windows(model, check_input)
    if real is not None:
        samples["real"] = real
    files, checks = _EXPORTERS[fmt](model, out, samples)
    result = ExportResult(fmt, out, files, checks)
    _check(checks, tolerance, fmt)
    result.card = model_card(model, result)
    (out / "card.json").write_text(json.dumps(result.card, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(card_markdown(result.card), encoding="utf-8")
    result.files += [out / "card.json", out / "README.md"]
    return result
