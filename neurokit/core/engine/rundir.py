"""The run directory: resolved config, environment, metrics log, checkpoints, report.

RUN_DIR/
  config.yaml           the resolved RunConfig (what `neurokit eval` and --resume rebuild from)
  environment.json      versions, device, git revision, command line
  metrics.jsonl         one JSON object per logged step / evaluation
  checkpoints/last.pt   everything to resume; checkpoints/best.pt the selected weights
  report.json, report.md, curves.png, confusion_matrix.png
"""

from __future__ import annotations

import json
import math
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIG = "config.yaml"
ENVIRONMENT = "environment.json"
METRICS = "metrics.jsonl"
LAST = "checkpoints/last.pt"
BEST = "checkpoints/best.pt"


def new_run_dir(output_dir: str | Path, run_name: str | None, label: str) -> Path:
    """A fresh directory `<output_dir>/<run_name or timestamp-label>` (suffixed if taken)."""
    base = Path(output_dir) / (run_name or f"{time.strftime('%Y%m%d-%H%M%S')}-{label}")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path


def git_revision() -> str | None:
    root = Path(__file__).resolve().parents[3]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def environment(device: str, world_size: int) -> dict[str, Any]:
    """What produced the run: versions, device, git revision, argv."""
    import numpy
    import sklearn
    import torch

    from neurokit import __version__

    info: dict[str, Any] = {
        "neurokit": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "platform": platform.platform(),
        "device": device,
        "world_size": world_size,
        "cuda": torch.version.cuda,
        "git_revision": git_revision(),
        "argv": sys.argv,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    tmp.replace(path)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsLog:
    """Append-only JSONL; on resume, lines after the checkpoint's step are dropped."""

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled

    def truncate_after(self, step: int) -> None:
        if not self.enabled or not self.path.exists():
            return
        kept = [
            line
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step
        ]
        self.path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [
            json.loads(line)
            for line in self.path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
