"""Finding recording files without losing any silently.

`Path.rglob` skips a folder it cannot read without a word, so a permission problem
used to shrink a corpus unnoticed ("1 found, 0 skipped" with 3 files present).
`find_files` walks the tree the same way (symlinked folders are not followed) and
records every folder it could not read, for the prepare summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def find_files(
    root: Path, suffixes: Iterable[str], problems: list[tuple[str, str]] | None = None
) -> list[Path]:
    """Files under `root` whose suffix (lower-cased) is in `suffixes`, sorted.

    Each unreadable folder is appended to `problems` as (folder, reason).
    """
    wanted = {s.lower() for s in suffixes}

    def unreadable(exc: OSError) -> None:
        if isinstance(exc, FileNotFoundError | NotADirectoryError):
            return  # an absent folder holds no recordings (layouts list optional folders)
        if problems is not None and exc.filename is not None:
            reason = exc.strerror or type(exc).__name__
            problems.append(
                (str(exc.filename), f"folder cannot be read ({reason}); its recordings are missing")
            )

    found = []
    for folder, _dirs, files in os.walk(root, onerror=unreadable):
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() in wanted and path.is_file():
                found.append(path)
    return sorted(found)
