"""What the data CLI commands delegate to, so `cli.py` stays parse-and-delegate."""

from __future__ import annotations

from collections.abc import Sequence

from neurokit.core.errors import NeurokitError


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
    from neurokit.core.data.report import print_summary

    try:
        summary = prepare(
            dataset, raw, out, workers, profile, overrides, overwrite, progress=not as_json
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
    from neurokit.core.data.report import print_store_info
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
        from neurokit.core.data.report import print_verify

        print_verify(report)
    if not report.ok:
        raise NeurokitError(
            f"{report.store}: {len(report.damaged)} damaged recording(s); delete them from "
            "recordings/ and rerun the same `neurokit prepare` to write them again"
        )
