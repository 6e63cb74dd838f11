"""Issue 10 items 4, 5, 6: `prepare --workers N` under Ctrl-C and `kill -9`.

Real subprocesses and real signals: the prepare runs in its own session, and SIGINT
goes to its whole process group, as a terminal's Ctrl-C does. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neurokit.core.data.store import Store
from neurokit.core.data.verify import verify_store
from tests.conftest import REPO

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="POSIX signals and /proc")

N, DELAY = 40, 0.5  # 40 recordings x 0.5 s on 2 workers: ~10 s if nothing stops it

# The child takes Ctrl-C as a terminal's foreground job does, even when the test run itself was
# started in the background (a non-interactive shell's `&` makes SIGINT ignored, inherited).
SCRIPT = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from tests.data.fake_corpus import SlowCorpus
from neurokit.core.data.prepare import prepare
try:
    prepare("slow", sys.argv[1], sys.argv[2], workers=2, progress=False,
            dataset=SlowCorpus(int(sys.argv[3]), float(sys.argv[4])))
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


def _start(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    out = tmp_path / "s.zarr"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(out), str(N), str(DELAY)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, like a shell job
    )
    return proc, out


def _published(out: Path) -> int:
    base = out / "recordings"
    return sum(1 for p in base.iterdir() if (p / "zarr.json").exists()) if base.exists() else 0


def _wait_for_progress(proc: subprocess.Popen, out: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _published(out) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "prepare made no progress"
        time.sleep(0.05)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(t) for t in text]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _finish(proc: subprocess.Popen, timeout: float) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"prepare did not exit within {timeout} s of Ctrl-C (hang)")
    return proc.returncode, out, err


def _only_complete(out: Path) -> int:
    report = verify_store(str(out))
    assert report.ok, report.damaged
    return len(Store(out).recordings)


def test_ctrl_c_stops_within_seconds_leaving_complete_recordings(tmp_path):
    proc, out = _start(tmp_path)
    _wait_for_progress(proc, out)
    workers = _children(proc.pid)
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    code, stdout, stderr = _finish(proc, timeout=30)
    took = time.monotonic() - sent
    assert code == 130 and "interrupted" in stdout, stderr
    assert took < 5, f"took {took:.1f} s to stop"
    written = _only_complete(out)
    assert 2 <= written < N  # it stopped instead of working through the queue
    assert not any(_alive(p) for p in workers)
    assert "Traceback" not in stderr


def test_second_ctrl_c_never_hangs(tmp_path):
    proc, out = _start(tmp_path)
    _wait_for_progress(proc, out)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.2)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    code, _, stderr = _finish(proc, timeout=20)
    assert code != 0
    _only_complete(out)


def test_workers_exit_when_the_parent_is_killed(tmp_path):
    proc, out = _start(tmp_path)
    _wait_for_progress(proc, out)
    workers = _children(proc.pid)
    assert len(workers) == 2
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = [p for p in workers if _alive(p)]
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    assert not orphans, "pool workers outlived the killed parent"
