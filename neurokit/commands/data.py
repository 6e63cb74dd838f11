"""What the data commands (`prepare`, `store ...`) delegate to: run core, print the result."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from neurokit.core.data.prepare import PrepareSummary
from neurokit.core.errors import NeurokitError


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def print_summary(summary: PrepareSummary) -> None:
    """The end-of-run summary: written, already present, failed with reasons, hours, size."""
    from neurokit.console import console

    d = summary.to_dict()
    console.print(
        f"[bold]{summary.dataset}[/] -> {summary.store}: {d['written']} written, "
        f"{d['already_present']} already present, {len(summary.failed)} skipped "
        f"({d['found']} found) in {d['elapsed_s']:.1f} s with {summary.workers} worker(s)",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"signal written: {d['hours_written']:.3f} h ({d['signal_hours_per_minute']:.2f} h/min); "
        f"store: {summary.store_hours:.3f} h, {human_bytes(summary.store_bytes)}",
        highlight=False,
        soft_wrap=True,
    )
    if summary.failed:
        console.print("[yellow]skipped recordings:[/]")
        for r in summary.failed[:50]:
            console.print(f"  {r.id}: {r.reason}", highlight=False, soft_wrap=True)
        if len(summary.failed) > 50:
            console.print(
                f"  ... and {len(summary.failed) - 50} more (see `neurokit store info --json`)"
            )


def print_store_info(info: dict[str, Any]) -> None:
    """`neurokit store info` as a human reads it."""
    from neurokit.console import console, table

    pre = info["preprocessing"]
    console.print(
        f"[bold]{info['location']}[/]  ({info['format']}, dataset [bold]{info['dataset']}[/])",
        highlight=False,
        soft_wrap=True,
    )
    rate = f"{info['sfreq']:g} Hz" if info["sfreq"] else "mixed rates"
    console.print(
        f"{info['recordings']} recordings, {info['hours']:.3f} h, {rate}, {info['units']} {info['dtype']}, "
        f"{human_bytes(info['size_bytes'])} ({info['compression'] or 'uncompressed'}, "
        f"{info['chunk_seconds']:g}-s chunks); written by neurokit {info['neurokit_version']} on {info['created']}",
        highlight=False,
        soft_wrap=True,
    )
    if pre:
        band = f"{pre.get('l_freq')}-{pre.get('h_freq')} Hz"
        console.print(
            f"preprocessing: montage {pre.get('montage')}, band {band}, notch {pre.get('notch')}, "
            f"resampled to {pre.get('sfreq')}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"classes: {', '.join(info['class_names']) or 'none'} (labels per {info['label_kind']})"
    )
    rows = [
        [
            name,
            s["recordings"],
            s["subjects"],
            f"{s['hours']:.3f}",
            ", ".join(f"{k}: {v}" for k, v in s["labels"].items()),
        ]
        for name, s in info["splits"].items()
    ]
    table("splits", ["split", "recordings", "subjects", "hours", "labels"], rows)
    sets = [
        [len(c["channels"]), c["recordings"], " ".join(c["channels"])]
        for c in info["channel_sets"][:10]
    ]
    table("channel sets", ["channels", "recordings", "names"], sets)
    _print_channel_summary(info)
    if info.get("failed"):
        console.print(f"[yellow]{len(info['failed'])} recordings failed in the last prepare run[/]")


def print_verify(report: Any) -> None:
    """`neurokit store verify` as a human reads it: the damaged recordings, one a line."""
    from neurokit.console import console

    status = "[green]ok[/]" if report.ok else f"[red]{len(report.damaged)} damaged[/]"
    console.print(
        f"{report.store}: {report.checked} recordings checked, {status}"
        + (
            f" ({report.unchecked} written before checksums: decode-checked only)"
            if report.unchecked
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
    for rid, reason in sorted(report.damaged.items()):
        console.print(f"  {rid}: {reason}", highlight=False, soft_wrap=True)


def _print_channel_summary(info: dict[str, Any]) -> None:
    """Channel types with their units, where positions come from, and flagged bad channels."""
    from neurokit.console import console

    types = info.get("channel_types") or {}
    units = info.get("units_by_type") or {}
    if types:
        text = ", ".join(f"{k} x{n} ({units.get(k, '?')})" for k, n in types.items())
        console.print(f"channel types: {text}", highlight=False, soft_wrap=True)
    sources = info.get("position_sources") or {}
    if sources:
        spaces = info.get("position_spaces") or []
        where = f" (space: {', '.join(spaces)})" if spaces else ""
        text = ", ".join(f"{k} x{n}" for k, n in sources.items())
        console.print(f"positions: {text}{where}", highlight=False, soft_wrap=True)
    bad = info.get("bad_channels") or {}
    if bad:
        text = ", ".join(f"{k} ({n})" for k, n in bad.items())
        console.print(f"flagged bad channels (kept): {text}", highlight=False, soft_wrap=True)


def run_prepare(
    dataset: str,
    raw: str | None,
    out: str | None,
    workers: int,
    profile: str | None,
    overrides: Sequence[str],
    overwrite: bool,
    as_json: bool,
) -> None:
    """`neurokit prepare`: run, print the summary; raise (non-zero exit) if nothing could be prepared."""
    from neurokit import console as out_console
    from neurokit.core.data.prepare import PrepareFailed, prepare

    try:
        summary = prepare(
            dataset,
            raw,
            out,
            workers,
            profile,
            overrides,
            overwrite,
            progress=None if as_json else prepare_progress,
        )
    except PrepareFailed as exc:
        if as_json:
            out_console.print_json(exc.summary.to_dict())
        else:
            print_summary(exc.summary)
        raise NeurokitError(str(exc)) from None
    if as_json:
        out_console.print_json(summary.to_dict())
    else:
        print_summary(summary)


def store_info(location: str, as_json: bool) -> None:
    from neurokit import console as out_console
    from neurokit.core.data.store import Store

    info = Store(location).info()
    if as_json:
        out_console.print_json(info)
    else:
        print_store_info(info)


def store_verify(location: str, as_json: bool) -> None:
    """`neurokit store verify`: print what was checked; non-zero exit if anything is damaged."""
    from neurokit import console as out_console
    from neurokit.core.data.verify import verify_store

    report = verify_store(location)
    if as_json:
        out_console.print_json(report.to_dict())
    else:
        print_verify(report)
    if not report.ok:
        raise NeurokitError(
            f"{report.store}: {len(report.damaged)} damaged recording(s); delete them from "
            "recordings/ and rerun the same `neurokit prepare` to write them again"
        )


@contextmanager
def prepare_progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr for `neurokit prepare` (terminals only; logs get the summary)."""
    from neurokit.console import err_console

    if not err_console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]prepare[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("prepare", total=total, status="")
        failed = 0

        def on_result(result: Any) -> None:
            nonlocal failed
            failed += result.status == "failed"
            bar.update(task, advance=1, status=f"[red]{failed} failed[/]" if failed else "")

        yield on_result


def _split_list(text: str | None) -> list[str] | None:
    return [s for s in re.split(r"[,\s]+", text) if s] if text else None


def run_import_hdf5(
    paths, out, layout, dataset, sfreq, channels, classes, dtype, overwrite, as_json
) -> None:
    """`neurokit store import-hdf5`: import, then print a one-line (or JSON) summary."""
    from neurokit import console
    from neurokit.core.data.hdf5 import import_hdf5

    summary = import_hdf5(
        paths, out, layout=layout, dataset=dataset, sfreq=sfreq, channels=_split_list(channels),
        class_names=_split_list(classes), dtype=dtype, overwrite=overwrite,
    )  # fmt: skip
    if as_json:
        console.print_json(summary.to_dict())
        return
    print(
        f"imported {summary.recordings} recordings ({summary.windows} windows, "
        f"{summary.seconds / 3600:.3f} h) from {summary.layout} HDF5 into {summary.store}"
        + (f"; skipped {len(summary.skipped)}" if summary.skipped else "")
    )


def run_export_hdf5(
    store, out, layout, split, window_seconds, group_size, overwrite, as_json
) -> None:
    """`neurokit store export-hdf5`: export, then print what was written."""
    from neurokit import console
    from neurokit.core.data.hdf5 import export_hdf5, export_layouts

    result = export_hdf5(
        store, out, layout, list(split) or None, window_seconds, group_size, overwrite
    )
    if as_json:
        console.print_json(result)
        return
    title = export_layouts()[layout].title or layout
    if "file" in result:
        print(f"wrote {result['recordings']} recordings to {result['file']} ({title} layout)")
    else:
        counts = ", ".join(f"{k}: {v}" for k, v in result["windows"].items())
        print(f"wrote {title}-layout windows to {result['folder']} ({counts})")


def run_import_braindecode(path, out, dataset, dtype, overwrite, as_json) -> None:
    """`neurokit store import-braindecode`: import, then print what happened."""
    from neurokit import console
    from neurokit.console import console as screen
    from neurokit.core.data.braindecode_zarr import import_braindecode

    summary = import_braindecode(path, out, dataset=dataset, dtype=dtype, overwrite=overwrite)
    if as_json:
        console.print_json(summary.to_dict())
        return
    screen.print(
        f"imported {summary.recordings} recordings ({summary.windows} windows, "
        f"{summary.seconds / 3600:.3f} h) from braindecode {summary.dataset_type} {summary.path} "
        f"into {summary.store}" + (f"; skipped {len(summary.skipped)}" if summary.skipped else ""),
        highlight=False,
        soft_wrap=True,
    )


def run_export_braindecode(store, out, split, overwrite, as_json) -> None:
    """`neurokit store export-braindecode`: export, then print what was written."""
    from neurokit import console
    from neurokit.console import console as screen
    from neurokit.core.data.braindecode_zarr import export_braindecode

    summary = export_braindecode(store, out, list(split) or None, overwrite)
    if as_json:
        console.print_json(summary.to_dict())
        return
    screen.print(
        f"wrote {summary.recordings} recordings ({summary.windows} windows) as braindecode "
        f"{summary.dataset_type} Zarr to {summary.path}"
        + (f"; {summary.shifted} edge windows shifted inside" if summary.shifted else ""),
        highlight=False,
        soft_wrap=True,
    )
