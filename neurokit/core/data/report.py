"""Terminal output for the data commands: the prepare summary and `store info`."""

from __future__ import annotations

from typing import Any

from neurokit.core.data.prepare import PrepareSummary


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
