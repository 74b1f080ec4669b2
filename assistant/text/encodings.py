"""The encodings Chinese text files come in: UTF-8 (with or without a byte-order mark), else the
GB family (GB18030 reads GBK and GB2312 too). Text ingest and CSV catalogues decode with the same
rule; DBF exports say their code page and fall back to GB18030 (`ingest/catalogue.py`)."""

from __future__ import annotations

TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
CHINESE_FALLBACK = "gb18030"


def decoded(data: bytes) -> str | None:
    """The bytes as text in the first encoding that reads them, or None when none does.

    >>> decoded("档案".encode("gbk")), decoded("\\ufeff档案".encode("utf-8")), decoded(b"\\xff\\xfe\\xff")
    ('档案', '档案', None)
    """
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
