"""Terminal output with rich: tables for the catalog, one-line errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(data: Any) -> None:
    """JSON on stdout, plain (no colour codes), so it always parses."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def error(message: str) -> None:
    err_console.print(
        f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True
    )


def warning(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False, soft_wrap=True)


def table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    t = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console.print(t)


def component_lines(rows: list[dict[str, Any]], by_kind: bool, width: int | None) -> list[str]:
    """`neurokit list` as plain lines: a heading per kind, then one line per component
    (name, then what it is), cut to `width` columns (None: whole lines, for pipes)."""
    if not rows:
        return ["no components registered"]
    name_width = max(len(r["name"]) for r in rows)
    lines: list[str] = []
    kind = None
    for row in rows:
        if by_kind and row["kind"] != kind:
            kind = row["kind"]
            count = sum(1 for r in rows if r["kind"] == kind)
            lines.append(("" if not lines else "\n") + f"{kind}s ({count})")
        text = row["description"] or ""
        if row.get("stages"):
            text = f"[stages: {'; '.join(row['stages'])}] {text}"
        if not row.get("builtin", True):
            text = f"(plugin {row['plugin']}) {text}"
        line = f"  {row['name']:<{name_width}}  {text}".rstrip()
        if width is not None and len(line) > width:
            line = line[: width - 1] + "\u2026"
        lines.append(line)
    return lines


def components_table(rows: list[dict[str, Any]], by_kind: bool) -> None:
    """One line per component: fits the terminal; full lines when piped."""
    width = console.width if console.is_terminal else None
    sys.stdout.write("\n".join(component_lines(rows, by_kind, width)) + "\n")


def component_info(info: dict[str, Any]) -> None:
    console.print(f"[bold]{info['kind']} {info['name']}[/]  (plugin: {info['plugin']})")
    if info["description"]:
        console.print(info["description"])
    if "family" in info:
        family_info(info["family"])
        return
    if not info["config"]:
        console.print("no options")
        return
    table(
        "options",
        ["name", "type", "default", "description"],
        [
            [
                f["name"],
                f["type"],
                "required" if f["required"] else repr(f["default"]),
                f["description"],
            ]
            for f in info["config"]
        ],
    )


def family_info(family: dict[str, Any]) -> None:
    """A model family: its backbones and profile, then each stage's recipe as a table."""
    backbones = ", ".join([family["backbone"], *family["variants"]])
    console.print(f"backbones: {backbones}", highlight=False)
    if family["tokenizers"]:
        console.print(f"tokenizers: {', '.join(family['tokenizers'])}", highlight=False)
    if family["profile"]:
        values = ", ".join(f"{k}={v}" for k, v in family["profiles"][family["profile"]].items())
        console.print(f"store profile: {family['profile']} ({values})", highlight=False)
        console.print(
            f"every stage expects a store prepared with: neurokit prepare DATASET "
            f"--profile {family['profile']} (then --dataset DATASET or --set data.store=PATH)",
            highlight=False,
            soft_wrap=True,
        )
    for index, stage in enumerate(family["stages"], 1):
        default = " (default)" if stage["name"] == family["default_stage"] else ""
        consumes = "; ".join(f"{k} <- {v} run" for k, v in stage["consumes"].items())
        title = f"stage {index}: {stage['name']}{default} -> task {stage['task']}"
        rows = [[key, repr(value)] for key, value in stage["recipe"].items()]
        if consumes:
            rows.append(["(consumes)", consumes])
        console.print()
        if stage["description"]:
            console.print(f"[bold]{title}[/]: {stage['description']}", highlight=False)
        else:
            console.print(f"[bold]{title}[/]", highlight=False)
        if rows:
            table(None, ["recipe key", "value"], rows)


def plugins_table(rows: list[dict[str, Any]]) -> None:
    data = []
    for row in rows:
        registered = ", ".join(
            f"{len(v)} {k}{'s' if len(v) > 1 else ''}" for k, v in row["registered"].items()
        )
        status = f"[red]{row['error']}[/]" if row["error"] else registered or "nothing"
        if row.get("conflicts"):
            status += f" [yellow]name conflict: {'; '.join(row['conflicts'])}[/]"
        data.append([row["name"], row["package"] or "-", row["version"] or "-", status])
    table(None, ["plugin", "package", "version", "registered"], data)
