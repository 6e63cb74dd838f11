"""Names that become paths: unique recording ids and safe split names.

Recording ids and split names end up as Zarr node names and as file names on
export (`{split}.h5`), so they are checked where they enter and where they are read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from typing import Any

from neurokit.core.data.schema import safe_id
from neurokit.core.errors import DataError

_SPLIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_split(split: str, where: str) -> str:
    """`split` if it is a plain name (`train`, `fold-1`), else a DataError: a split
    becomes a file name on export, so `../x` or `a/b` must never get that far."""
    if not isinstance(split, str) or not _SPLIT.match(split):
        raise DataError(
            f"{where}: split name {split!r} is not allowed (letters, digits, '-' and '_' only, "
            "at most 64 characters)"
        )
    return split


def unique_ids(sources: Sequence[Any]) -> list[Any]:
    """Sources with `recording_id` set to a store-safe id that is unique in the corpus.

    Ids that collide once made safe (`a b` and `a_b`, or ids a plugin repeats) get a
    short hash of their original id and path, so the corpus is kept whole and the
    same file gets the same id on every run (resume depends on it).
    """
    safe = [safe_id(s.recording_id) for s in sources]
    counts: dict[str, int] = {}
    for rid in safe:
        counts[rid] = counts.get(rid, 0) + 1
    out, seen = [], set()
    for source, rid in zip(sources, safe, strict=True):
        if counts[rid] > 1:
            digest = hashlib.sha1(f"{source.recording_id}|{source.path}".encode()).hexdigest()
            rid = f"{rid}-{digest[:8]}"
        if rid in seen:
            raise DataError(f"{source.path}: listed twice (recording id {source.recording_id!r})")
        seen.add(rid)
        out.append(
            source if rid == source.recording_id else dataclasses.replace(source, recording_id=rid)
        )
    return out
