"""Where a store lives and which recordings are published there.

Shared by the reader (`store`), the writer and the integrity checks (`verify`), so
none of them has to import another for these helpers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from neurokit.core.data.ids import check_split
from neurokit.core.data.schema import RECORDINGS, RecordingMeta
from neurokit.core.errors import DataError


def is_url(location: str | os.PathLike) -> bool:
    text = str(location)
    return "://" in text and not text.startswith("file://")


def local_path(location: str | os.PathLike) -> Path:
    text = str(location)
    return Path(text[len("file://") :] if text.startswith("file://") else text)


def open_group(location: str | os.PathLike, mode: str, storage_options: dict | None = None):
    """A zarr group for a path or fsspec URL, with DataError instead of zarr's exceptions."""
    import zarr

    try:
        if is_url(location):
            return zarr.open_group(
                str(location), mode=mode, storage_options=storage_options or None
            )
        return zarr.open_group(str(local_path(location)), mode=mode)
    except FileNotFoundError:
        raise DataError(f"{location}: store not found") from None
    except Exception as exc:
        if "not found" in str(exc).lower() or type(exc).__name__ in {
            "GroupNotFoundError",
            "NodeNotFoundError",
        }:
            raise DataError(f"{location}: store not found") from None
        raise DataError(f"{location}: cannot open store ({type(exc).__name__}: {exc})") from None


def scan_recordings(root: Any, where: str) -> list[RecordingMeta]:
    """Every complete recording of an open root group, using the root catalog where it is current."""
    catalog = root.attrs.get("catalog") or {}
    if not is_url(where):
        base = local_path(where) / RECORDINGS
        names = (
            sorted(p.name for p in base.iterdir() if (p / "zarr.json").exists())
            if base.exists()
            else []
        )
    else:
        names = sorted(root.require_group(RECORDINGS).group_keys()) if RECORDINGS in root else []
    metas = []
    recordings = None
    for name in names:
        raw = catalog.get(name)
        if raw is None:
            recordings = recordings or root[RECORDINGS]
            raw = dict(recordings[name].attrs)
        if not raw.get("complete", False):
            continue
        try:
            meta = RecordingMeta.model_validate(raw)
        except Exception as exc:
            raise DataError(f"{where}: recording {name!r} has broken attributes ({exc})") from None
        check_split(meta.split, f"{where}: recording {name!r}")
        metas.append(meta)
    return metas
