"""Helpers shared by the tests: principals, settings, real PDFs and SQLite indexes built on the fly."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from assistant.index import db
from assistant.models import Chunk, Principal, Role
from assistant.settings import Settings

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
ROOT = Path(__file__).resolve().parent.parent
READER = Principal("reader", Role.READER)
STAFF = Principal("staff", Role.STAFF)
ADMIN = Principal("admin", Role.ADMIN)


def make_settings(index_dir: Path, **overrides: object) -> Settings:
    return Settings(index_dir=index_dir, **overrides)


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A real text PDF with an embedded CJK font: one list of lines per page."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    pdf = canvas.Canvas(str(path))
    for lines in pages:
        pdf.setFont("wqy", 11)
        for number, line in enumerate(lines):
            pdf.drawString(60, 790 - 18 * number, line)
        pdf.showPage()
    pdf.save()
    return path


def sqlite_index(path: Path, chunks: Sequence[Chunk]) -> sqlite3.Connection:
    """A real SQLite index holding `chunks` as one source, written as ingest writes them."""
    conn = db.connect(path)
    add_source(conn, "s1", chunks)
    return conn


def add_source(conn: sqlite3.Connection, source_id: str, chunks: Sequence[Chunk]) -> None:
    """Store `chunks` as the report `source_id` in one transaction, as ingest writes them."""
    with conn:
        conn.execute("BEGIN")
        db.insert_source(
            conn,
            source_id=source_id,
            path=f"/{source_id}.pdf",
            name=f"{source_id}.pdf",
            kind="report",
            content_hash=f"h-{source_id}",
            title=source_id,
            year=None,
            chunks=chunks,
        )
