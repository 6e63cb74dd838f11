"""One weights service: read a checkpoint, unwrap it, apply a family's filter, load strictly.

The pattern is timm's `checkpoint_filter_fn`, with neurokit's strictness:

1. `read_state_dict(source)` reads a file (`.pth`/`.pt`/`.bin`/Lightning `.ckpt` through
   `torch.load(weights_only=True)`, `.safetensors` through safetensors) or a neurokit run
   directory (its `checkpoints/best.pt`, else `checkpoints/last.pt`). It unwraps nested
   `model` / `state_dict` / `module` containers, then removes a wrapper prefix (`module.`,
   `_orig_mod.`, `model.`, `backbone.`) when *every* key carries it.
2. `load_weights(model, source, filter_fn=...)` hands that state dict to the family's filter,
   `filter_fn(state_dict, model) -> state_dict`, which may rename, drop or reshape keys (pull
   the `backbone.` part out of a task checkpoint, drop pretraining heads, ...).
3. The result must then fit the model exactly. The only exceptions are the allow-lists:
   `allow_missing` (model keys that may keep their initial values) and `allow_unexpected`
   (file keys that are ignored). Entries are shell-style globs matched against the whole key
   (`fnmatch`: `head.*`, `*.relative_position_index`; a plain key matches itself). A shape
   mismatch is never allowed: a filter drops a key that is meant to start fresh.
   Anything else raises one `WeightsError` naming the file and every missing, unexpected and
   mis-shaped key (with shapes).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import torch
from torch import nn

from neurokit.core.engine import rundir
from neurokit.core.errors import WeightsError

StateDict = dict[str, torch.Tensor]
FilterFn = Callable[[StateDict, nn.Module], StateDict]

CONTAINER_KEYS = ("model", "state_dict", "module")
WRAPPER_PREFIXES = ("module.", "_orig_mod.", "model.", "backbone.")
RUN_CHECKPOINTS = (rundir.BEST, rundir.LAST)
LISTED_KEYS = 12  # keys shown per kind in an error; the rest are counted


@dataclass(frozen=True)
class LoadReport:
    """What a load did: model keys loaded or left as initialised, file keys ignored or filtered."""

    source: str
    loaded: tuple[str, ...]
    missing: tuple[str, ...]  # model keys the file lacked (allowed): they keep their init
    unexpected: tuple[str, ...]  # file keys the model lacks (allowed): ignored
    filtered: tuple[str, ...]  # file keys the family filter removed or renamed

    def summary(self) -> str:
        parts = [f"loaded {len(self.loaded)} tensors from {self.source}"]
        if self.missing:
            parts.append(f"kept {len(self.missing)} as initialised ({_listing(self.missing)})")
        if self.unexpected:
            parts.append(f"ignored {len(self.unexpected)} ({_listing(self.unexpected)})")
        if self.filtered:
            parts.append(f"filtered {len(self.filtered)} ({_listing(self.filtered)})")
        return "; ".join(parts)


# ---------------------------------------------------------------------- reading


def resolve_source(source: str | Path) -> Path:
    """The weights file: `source` itself, or the best (else last) checkpoint of a run directory."""
    path = Path(source).expanduser()
    if path.is_dir():
        for name in RUN_CHECKPOINTS:
            if (path / name).is_file():
                return path / name
        raise WeightsError(
            f"no checkpoint in run directory {str(path)!r} (looked for {', '.join(RUN_CHECKPOINTS)})"
        )
    if not path.is_file():
        raise WeightsError(f"weights file {str(path)!r} does not exist")
    return path


def _load_file(path: Path) -> object:
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device="cpu")
        # released LaBraM files carry their argparse Namespace next to the weights
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated, not a checkpoint, or pickled objects
        kind = "safetensors" if path.suffix == ".safetensors" else "torch (weights_only)"
        raise WeightsError(
            f"cannot read weights from {str(path)!r} as {kind}: {_why(path, exc)}"
        ) from None


def _why(path: Path, exc: Exception) -> str:
    """The reason a file did not load, in one short line."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    pickled = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
    if pickled:
        return (
            f"it pickles a Python object ({pickled.group(1)}), not only tensors, and neurokit "
            "never unpickles code"
        )
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        return "the file is empty"
    torch_file = head.startswith((b"PK\x03\x04", b"\x80"))
    if path.suffix == ".safetensors" and torch_file:
        return "it is a torch checkpoint, not safetensors (name it .pt)"
    if path.suffix != ".safetensors" and not torch_file:
        return "not a torch checkpoint (neither a torch zip archive nor a pickle)"
    return " ".join(text.split())[:200] or type(exc).__name__


def _is_state_dict(obj: object) -> bool:
    return (
        isinstance(obj, Mapping)
        and bool(obj)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def unwrap(obj: object, prefixes: Iterable[str] = WRAPPER_PREFIXES) -> StateDict:
    """The state dict inside a checkpoint object, with whole-dict wrapper prefixes removed."""
    while isinstance(obj, Mapping) and not _is_state_dict(obj):
        inner = next(
            (obj[k] for k in CONTAINER_KEYS if isinstance(obj.get(k), Mapping) and obj[k]), None
        )
        if inner is None:
            break
        obj = inner
    if not _is_state_dict(obj):
        found = f"keys {', '.join(map(str, list(obj)[:8]))}" if isinstance(obj, Mapping) else ""
        raise WeightsError(
            "holds no state dict of tensors (looked inside "
            f"{' / '.join(CONTAINER_KEYS)}){': ' + found if found else ''}"
        )
    state = dict(obj)
    prefixes = tuple(prefixes)
    changed = True
    while changed:  # `module._orig_mod.` and the like come off one after the other
        changed = False
        for prefix in prefixes:
            stripped = strip_prefix(state, prefix)
            if stripped is not state:
                state, changed = stripped, True
    return state


def read_state_dict(source: str | Path, *, prefixes: Iterable[str] = WRAPPER_PREFIXES) -> StateDict:
    """Read and unwrap the tensors of a weights file or run directory (see the module doc)."""
    path = resolve_source(source)
    obj = _load_file(path)
    try:
        return unwrap(obj, prefixes)
    except WeightsError as exc:
        raise WeightsError(f"{str(path)!r} {exc}") from None


# ---------------------------------------------------------------------- filter helpers


def strip_prefix(state: StateDict, prefix: str) -> StateDict:
    """`state` without `prefix` when every key carries it; else `state` itself (unchanged)."""
    if not state or not all(k.startswith(prefix) for k in state):
        return state
    return {k[len(prefix) :]: v for k, v in state.items()}


def sub_state(state: Mapping[str, torch.Tensor], prefix: str) -> StateDict:
    """The keys under `prefix`, with it removed (e.g. a task checkpoint's `backbone.` part)."""
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def drop_keys(state: Mapping[str, torch.Tensor], patterns: Iterable[str]) -> StateDict:
    """`state` without the keys matching any of `patterns` (globs, see `matches`)."""
    patterns = tuple(patterns)
    return {k: v for k, v in state.items() if not matches(k, patterns)}


def matches(key: str, patterns: Iterable[str]) -> bool:
    """True when `key` equals or glob-matches (`fnmatch`, case-sensitive) one of `patterns`."""
    return any(key == p or fnmatchcase(key, p) for p in patterns)


# ---------------------------------------------------------------------- loading


def load_weights(
    model: nn.Module,
    source: str | Path | Mapping[str, torch.Tensor],
    *,
    filter_fn: FilterFn | None = None,
    allow_missing: Iterable[str] = (),
    allow_unexpected: Iterable[str] = (),
    name: str | None = None,
    model_name: str | None = None,
) -> LoadReport:
    """Load `source` (a path, run directory or state dict) into `model` strictly.

    `filter_fn(state, model)` is the family's filter; `allow_missing` / `allow_unexpected`
    are glob patterns (module doc). `name` labels a state-dict source in messages and
    `model_name` the model (default: its class name).
    """
    expected = model.state_dict()
    if isinstance(source, Mapping):
        label = name or "state dict"
        try:
            state = unwrap(source, _safe_prefixes(expected))
        except WeightsError as exc:
            raise WeightsError(f"{label!r} {exc}") from None
    else:
        label = name or str(source)
        state = read_state_dict(source, prefixes=_safe_prefixes(expected))
    filtered: tuple[str, ...] = ()
    if filter_fn is not None:
        before = state
        try:
            state = dict(filter_fn(dict(state), model))
        except WeightsError as exc:  # the family's verdict on the layout, with the file named
            raise WeightsError(f"{label!r}: {exc}") from None
        filtered = tuple(k for k in before if k not in state)
    allow_missing, allow_unexpected = tuple(allow_missing), tuple(allow_unexpected)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}"
        for k, v in state.items()
        if k in expected and v.shape != expected[k].shape
    ]
    bad_missing = [k for k in missing if not matches(k, allow_missing)]
    bad_unexpected = [k for k in unexpected if not matches(k, allow_unexpected)]
    if bad_missing or bad_unexpected or shapes:
        parts = [
            f"{title} ({len(keys)}): {_listing(keys)}"
            for title, keys in (
                ("missing", bad_missing),
                ("unexpected", bad_unexpected),
                ("shape mismatch (file vs model)", shapes),
            )
            if keys
        ]
        raise WeightsError(
            f"{label!r} does not fit {model_name or type(model).__name__}: " + "; ".join(parts)
        )
    loaded = [k for k in expected if k in state]
    model.load_state_dict({k: state[k] for k in loaded}, strict=False)
    return LoadReport(
        source=label,
        loaded=tuple(loaded),
        missing=tuple(missing),
        unexpected=tuple(unexpected),
        filtered=filtered,
    )


def _safe_prefixes(expected: Mapping[str, torch.Tensor]) -> tuple[str, ...]:
    """Wrapper prefixes that are not the model's own (a model whose keys all start `model.`)."""
    return tuple(p for p in WRAPPER_PREFIXES if not all(k.startswith(p) for k in expected))


def _listing(keys: Iterable[str], limit: int = LISTED_KEYS) -> str:
    keys = list(keys)
    more = f", ... (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more
