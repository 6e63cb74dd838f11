"""Shows a run's progress events on the terminal (the CLI side of `RunContext.emit`).

Core never prints; the trainer emits events with data and this listener turns them
into a rich progress bar and one line per validation::

    with TrainingDisplay() as events:
        report = train(..., events=events)

Events (all from rank 0): `start` (step, total_steps, epoch, epochs, monitor,
progress), `resume` (epoch, step), `step` (step, total_steps, epoch, epochs, loss or
None), `epoch` (epoch, loss, monitor, value, best, metrics), `early-stop` (monitor,
evaluations), `interrupt`, `end` (step, reason). Unknown events are ignored, so the
trainer may add more.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from neurokit import console as out


class TrainingDisplay:
    """A callable `(event, data)` listener; a context manager that always closes its bar."""

    def __init__(self, console: Console | None = None, bar: bool = True) -> None:
        self.console = console or out.console
        self.bar_enabled = bar
        self._bar: Progress | None = None
        self._task: Any = None
        self._handlers = {
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

    def _on_start(self, data: dict[str, Any]) -> None:
        if not (self.bar_enabled and data.get("progress", True)):
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

    # --------------------------------------------------------------- helpers

    def _print(self, text: str) -> None:
        # soft wrap: paths and commands stay whole, so they can be copied
        console = self._bar.console if self._bar is not None else self.console
        console.print(text, highlight=False, soft_wrap=True)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
