"""`archive-assistant audit export` and `feedback export`: the use register and the answer
ratings as CSV for Excel, read on a read-only connection so that they can be exported even from
an index on a read-only or full disk. Registered in cli.py with `app.add_typer`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli_params import friendly_errors, utf8_text
from assistant.settings import load_settings

if TYPE_CHECKING:
    from assistant.index.sqlite import Connection

OutFile = Annotated[Path, typer.Argument(help="导出的 CSV 文件")]
Since = Annotated[str | None, typer.Option("--since", help="起始时间，如 2026-01-01", parser=utf8_text)]

audit_app = typer.Typer(help="利用登记（审计日志）：谁在何时问了什么、看到了哪些档案。", no_args_is_help=True)


@audit_app.command("export")
@friendly_errors
def audit_export_command(ctx: typer.Context, out: OutFile, since: Since = None) -> None:
    """把利用登记导出为 CSV（Excel 可直接打开）。"""
    from assistant import audit

    count = _export_read_only(ctx, lambda conn: audit.export_csv(conn, out, since))
    typer.echo(f"已导出 {count} 条利用登记到 {out}")


def _export_read_only(ctx: typer.Context, export: Callable[[Connection], int]) -> int:
    """`export` run on a read-only connection: the log and feedback can be exported even from an
    index on a read-only or full disk."""
    from assistant import audit

    settings = load_settings(index_dir=(ctx.obj or {}).get("index_dir"))
    conn = audit.connect_read_only(settings.index_dir / "assistant.sqlite3")
    try:
        return export(conn)
    finally:
        conn.close()


feedback_app = typer.Typer(help="回答评价：用户对回答的 👍/👎 和意见，供评估使用。", no_args_is_help=True)


@feedback_app.command("export")
@friendly_errors
def feedback_export_command(ctx: typer.Context, out: OutFile, since: Since = None) -> None:
    """把回答评价（问题、回答、出处、评价和意见）导出为 CSV（Excel 可直接打开）。"""
    from assistant.index.conversations import export_feedback_csv

    count = _export_read_only(ctx, lambda conn: export_feedback_csv(conn, out, since))
    typer.echo(f"已导出 {count} 条回答评价到 {out}")
