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


def components_table(rows: list[dict[str, Any]], by_kind: bool) -> None:
    if not rows:
        console.print("no components registered")
        return
    columns = (
        ["kind", "name", "plugin", "description"] if by_kind else ["name", "plugin", "description"]
    )
    table(None, columns, [[r[c] for c in columns] for r in rows])


def component_info(info: dict[str, Any]) -> None:
    console.print(f"[bold]{info['kind']} {info['name']}[/]  (plugin: {info['plugin']})")
    if info["description"]:
        console.print(info["description"])
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
