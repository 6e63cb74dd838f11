"""Shows a run's progress events on the terminal (the CLI side of `RunContext.emit`).

Core never prints; the trainer emits events with data and this listener turns them
into a rich progress bar and one line per validation::

    with TrainingDisplay() as events:
        report = train(..., events=events)

Events (all from rank 0): `prepare`/`prepared` (dataset, store, profile: a demo store
made on demand), `warning` (message), `summary` (run_dir, stores, splits, parameters,
window, seed: the start-up summary), `start` (step, total_steps, epoch, epochs, monitor,
progress, device, precision), `resume` (epoch, step), `step` (step, total_steps, epoch,
epochs, loss or None), `epoch` (epoch, loss, monitor, value, best, metrics),
`early-stop` (monitor, evaluations), `interrupt`, `end` (step, reason). Unknown events
are ignored, so the trainer may add more.

Without a terminal (a batch job, a pipe) there is no bar: a step line is printed at the
first logged loss and then every `line_seconds`. Every line shown is also appended to
`<run_dir>/console.log` once the run directory exists (earlier lines are kept until then).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from neurokit import console as out


class TrainingDisplay:
    """A callable `(event, data)` listener; a context manager that always closes its bar."""

    LOG_NAME = "console.log"

    def __init__(
        self, console: Console | None = None, bar: bool = True, line_seconds: float = 30.0
    ) -> None:
        self.console = console or out.console
        self.bar_enabled = bar
        self.line_seconds = line_seconds
        self._bar: Progress | None = None
        self._task: Any = None
        self._lines_mode = False
        self._last_line: float | None = None
        self._log: Path | None = None
        self._pending: list[str] = []
        self._started = 0.0
        self._first_step = 0
        self._handlers = {
            "prepare": self._on_prepare,
            "prepared": self._on_prepared,
            "summary": self._on_summary,
            "start": self._on_start,
            "resume": self._on_resume,
            "step": self._on_step,
            "epoch": self._on_epoch,
            "early-stop": self._on_early_stop,
            "interrupt": self._on_interrupt,
            "end": self._on_end,
            "warning": self._on_warning,
        }

    def __enter__(self) -> TrainingDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def __call__(self, event: str, data: dict[str, Any]) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            handler(data)

    # ---------------------------------------------------------------- events

    def _on_prepare(self, data: dict[str, Any]) -> None:
        profile = f" with the {data['profile']!r} profile" if data.get("profile") else ""
        self._print(
            f"no {data['dataset']} store yet: preparing the {data['dataset']} store at "
            f"{data['store']}{profile} (once)"
        )

    def _on_prepared(self, data: dict[str, Any]) -> None:
        self._print(f"prepared {data['store']}: {data['recordings']} recordings")

    def _on_summary(self, data: dict[str, Any]) -> None:
        if data.get("run_dir"):
            self._open_log(Path(data["run_dir"]), append=bool(data.get("resume")))
        for line in summary_lines(data):
            self._print(line)

    def _on_start(self, data: dict[str, Any]) -> None:
        if data.get("device"):
            world = data.get("world_size") or 1
            procs = f" x {world} processes" if world > 1 else ""
            self._print(
                f"training: {data['total_steps']} steps over {data['epochs']} epochs, "
                f"batch {data.get('batch_size')}{procs}, device {data['device']}, "
                f"precision {data.get('precision')}, selecting on val {data.get('monitor')}"
            )
        if not (self.bar_enabled and data.get("progress", True)):
            return
        if not self.console.is_terminal:
            self._lines_mode = True
            return
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(
            "train", total=data["total_steps"], completed=data.get("step", 0)
        )

    def _on_resume(self, data: dict[str, Any]) -> None:
        self._print(f"resuming at epoch {data['epoch'] + 1}, step {data['step']}")

    def _on_step(self, data: dict[str, Any]) -> None:
        if self._lines_mode:
            self._step_line(data)
        if self._bar is None:
            return
        self._bar.update(self._task, completed=data["step"])
        if data.get("loss") is not None:
            description = f"epoch {data['epoch'] + 1}/{data['epochs']} loss {data['loss']:.4f}"
            self._bar.update(self._task, description=description)

    def _on_epoch(self, data: dict[str, Any]) -> None:
        value = data.get("value")
        shown = "n/a" if value is None else f"{value:.4f}"
        self._print(
            f"epoch {data['epoch']}: val loss {data['loss']:.4f}, {data['monitor']} {shown}"
            + (" (best)" if data.get("best") else "")
        )

    def _on_early_stop(self, data: dict[str, Any]) -> None:
        self._print(
            f"early stopping: no new best val {data['monitor']} "
            f"in {data['evaluations']} evaluations"
        )

    def _on_interrupt(self, data: dict[str, Any]) -> None:
        out.warning("interrupt: stopping after this step (Ctrl-C again to stop now)")

    def _on_warning(self, data: dict[str, Any]) -> None:
        self._print(f"[yellow]warning:[/] {data.get('message', '')}")

    def _on_end(self, data: dict[str, Any]) -> None:
        self._stop()
        if data.get("reason") == "stop_after_steps":
            self._print(f"planned stop at step {data['step']} (trainer.stop_after_steps)")

    def _step_line(self, data: dict[str, Any]) -> None:
        """A line at the first logged loss, then every `line_seconds` (no terminal: no bar)."""
        if data.get("loss") is None:
            return
        now = time.monotonic()
        if self._last_line is not None and now - self._last_line < self.line_seconds:
            return
        if self._last_line is None:
            self._started = now
            self._first_step = data["step"]
        self._last_line = now
        rate = ""
        done = data["step"] - self._first_step
        if done > 0 and now > self._started:
            rate = f", {done / (now - self._started):.2f} steps/s"
        self._print(
            f"step {data['step']}/{data['total_steps']} (epoch {data['epoch'] + 1}/"
            f"{data['epochs']}): train loss {data['loss']:.4f}{rate}"
        )

    def note(self, text: str) -> None:
        """A line from the command itself (results), shown and kept in the run's log."""
        self._print(text)

    def keep(self, line: str) -> None:
        """A line for the run's console.log only (what the command shows as a table)."""
        self._keep(line)

    # --------------------------------------------------------------- helpers

    def _print(self, text: str) -> None:
        # soft wrap: paths and commands stay whole, so they can be copied
        console = self._bar.console if self._bar is not None else self.console
        console.print(text, highlight=False, soft_wrap=True)
        try:
            plain = Text.from_markup(text).plain
        except Exception:  # text that only looks like markup
            plain = text
        self._keep(plain)

    def _keep(self, line: str) -> None:
        stamped = f"{time.strftime('%H:%M:%S')} {line}"
        if self._log is None:
            self._pending.append(stamped)
            return
        try:
            with self._log.open("a", encoding="utf-8") as handle:
                handle.write(stamped + "\n")
        except OSError:  # a full disk must not stop training; the console still shows it
            self._log = None

    def _open_log(self, run_dir: Path, append: bool) -> None:
        self._log = run_dir / self.LOG_NAME
        if not append and self._log.exists():
            self._log.unlink()
        pending, self._pending = self._pending, []
        for line in pending:
            self._keep(line.split(" ", 1)[1] if " " in line else line)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _count(n: int) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n / 1e3:.1f} k" if n >= 1e3 else str(n)


def summary_lines(data: dict[str, Any]) -> list[str]:
    """The start-up summary as lines: what trains, on which store, on how many windows."""
    lines = [
        f"run {data.get('run_dir', '')}: model {data.get('model')}, "
        f"stage {data.get('stage') or data.get('task')}, seed {data.get('seed')}"
    ]
    for store in data.get("stores", []):
        lines.append(
            f"store {store['location']} ({store['dataset']}, {store['recordings']} recordings, "
            f"checksum {store['checksum']}): {store['preprocessing']}"
        )
    window = data.get("window_seconds")
    if window:
        lines.append(
            f"windows of {window:g} s = {data.get('window_samples')} samples at "
            f"{data.get('sfreq'):g} Hz, {data.get('channels')} channels"
        )
    for role, split in (data.get("splits") or {}).items():
        classes = split.get("classes")
        shown = f" ({', '.join(f'{k} {v}' for k, v in classes.items())})" if classes else ""
        lines.append(f"{role}: {split['windows']} windows{shown}")
    params = data.get("parameters") or {}
    if params:
        head = f", head of {data['head_size']} classes" if data.get("head_size") else ""
        lines.append(
            f"parameters: {_count(params['total'])} ({_count(params['trainable'])} trainable)"
            + head
        )
    return lines
