"""Checkpoints: atomic writes and RNG state that load with `torch.load(weights_only=True)`.

Only tensors, numbers, strings, lists and dicts are stored, so loading never
unpickles arbitrary objects. A write goes to a temporary file in the same
directory and replaces the target with `os.replace`, so an interrupted write (Ctrl-C,
a crash, a full disk) leaves the previous checkpoint intact.
"""

from __future__ import annotations

import glob
import os
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from neurokit.core.errors import DataError


def save_atomic(state: dict[str, Any], path: str | Path) -> None:
    """torch.save to a temp file beside `path`, fsync, then os.replace.

    The temp name carries this process's id; temporaries left by a process that is
    gone (a kill mid-write) are removed first. The file gets the usual permissions
    (0666 minus the umask), not mkstemp's 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_stale_temporaries(path: str | Path) -> list[Path]:
    """Remove the temporaries `.<name>.<pid>.*.tmp` of checkpoint `path` whose writer is
    not running (and ones without a pid, from older versions): what a kill mid-write
    leaves. Run before every write and on resume (`load`). Returns what was removed."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid = _writer_pid(tmp.name)
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue
        try:
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
    return removed


def _writer_pid(name: str) -> int | None:
    parts = name.split(".")  # ['', 'last', 'pt', '<pid>', '<random>', 'tmp']
    return int(parts[-3]) if len(parts) >= 5 and parts[-3].isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    """The process umask (read by setting and restoring it; there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def load(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint safely; a missing or unreadable file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"checkpoint {str(path)!r} does not exist")
    clean_stale_temporaries(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise DataError(
            f"checkpoint {str(path)!r} cannot be read: {type(exc).__name__}: {exc}"
        ) from None


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU and CUDA) generator states as plain data."""
    version, internal, gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [
            np_name,
            torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            int(np_pos),
            int(np_has_gauss),
            float(np_gauss),
        ],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what `rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
