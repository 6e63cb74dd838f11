"""Issue 10 item 19: temporaries of a killed checkpoint write are cleaned; usual permissions."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import torch

from neurokit.core.engine import checkpoint as ckpt


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has this id now (pids are not reused this fast)


def test_stale_temporaries_from_a_killed_write_are_removed(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    ckpt.save_atomic({"step": 1}, folder / "last.pt")
    old_style = folder / ".last.pt.k3j2h1x9.tmp"  # what mkstemp left before (the probe)
    dead = folder / f".last.pt.{_dead_pid()}.abcd1234.tmp"
    live = folder / f".last.pt.{os.getppid()}.zzzz9999.tmp"  # a writer still running
    other = folder / "notes.tmp"
    for path in (old_style, dead, live, other):
        path.write_bytes(b"partial checkpoint")
    state = ckpt.load(folder / "last.pt")  # resuming cleans up
    assert state["step"] == 1
    assert not old_style.exists() and not dead.exists()
    assert live.exists() and other.exists()
    live.unlink()
    (folder / ".last.pt.q8w7e6r5.tmp").write_bytes(b"x")
    ckpt.save_atomic({"step": 2}, folder / "last.pt")  # and so does the next write
    assert sorted(p.name for p in folder.iterdir()) == ["last.pt", "notes.tmp"]


def test_a_write_killed_midway_leaves_a_temporary_the_next_start_removes(tmp_path):
    path = tmp_path / "last.pt"
    code = (
        "import os, signal, sys, torch\n"
        "from neurokit.core.engine import checkpoint as ckpt\n"
        "def dying(obj, handle):\n"
        "    handle.write(b'half')\n"
        "    handle.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "torch.save = dying\n"
        "ckpt.save_atomic({'step': 2}, sys.argv[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], timeout=120)
    assert proc.returncode == -signal.SIGKILL
    left = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1
    ckpt.save_atomic({"step": 3, "w": torch.ones(2)}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_checkpoints_get_the_usual_permissions(tmp_path, umask):
    previous = os.umask(umask)
    try:
        ckpt.save_atomic({"step": 1}, tmp_path / "last.pt")
    finally:
        os.umask(previous)
    assert (tmp_path / "last.pt").stat().st_mode & 0o777 == 0o666 & ~umask
