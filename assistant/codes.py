"""档号 (archival reference codes): normalising, matching keys, and finding them in questions.

Two families coexist (see DOMAIN.md): volume level `38-1-0045` and item level
`J001-WS·2016-Y-BGS-0005`. Real data is messy, so both the stored code and the asked code are
reduced to one *key* before comparing:

>>> code_key("３８－１－００４５")
'38-1-45'
>>> code_key("J001-WS · 2016-永久-BGS-5")
'J1-WS·2016-Y-BGS-5'

The original spelling is always kept for display; the key is only for matching. Deliberately not
handled: codes written with Chinese numerals, and codes split over two table cells.
"""

from __future__ import annotations

import re
import unicodedata

_DASHES = "‐‑‒–—―－﹣−"
_DOTS = "・•‧∙⋅･"
_RETENTION_WORDS = {
    "永久": "Y",
    "长期": "C",
    "短期": "D",
    "定期30年": "D30",
    "定期10年": "D10",
    "30年": "D30",
    "10年": "D10",
}
_DASH_TABLE = str.maketrans({**{d: "-" for d in _DASHES}, **{d: "·" for d in _DOTS}})

# After `clean_code_text`: volume level, then item level (class code, ·, year, retention, …).
_VOLUME_CODE = r"[A-Z]?\d{1,4}-\d{1,4}-\d{1,5}(?:-\d{1,4})?"
_ITEM_CODE = r"[A-Z]?\d{1,4}-[A-Z]{2}·\d{4}-(?:Y|C|D\d{0,2})(?:-[A-Z]{2,5})?-\d{1,5}"
_CODE_IN_TEXT = re.compile(rf"(?<![\w-])(?:{_ITEM_CODE}|{_VOLUME_CODE})(?![\w-])", re.ASCII)


def clean_code_text(text: str) -> str:
    """Half-width, one dash, one middle dot, no spaces around separators, upper case."""
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE)
    # Spaces around separators go; split-and-strip is linear where `\s*([-·])\s*` backtracked
    # quadratically over a long run of spaces.
    for separator in "-·":
        text = separator.join(part.strip() for part in text.split(separator))
    for word, letter in _RETENTION_WORDS.items():
        text = re.sub(rf"(?<=-){word}(?=-)", letter, text)
    return text.upper()


def code_key(code: str) -> str:
    """The matching key of a 档号: cleaned, spaces removed, leading zeros of numbers dropped."""
    cleaned = re.sub(r"\s+", "", clean_code_text(code))
    return re.sub(r"(?<!\d)0+(?=\d)", "", cleaned)


def fonds_of(code: str) -> str | None:
    """The 全宗号 a 档号 starts with, as written (leading zeros kept)."""
    head = clean_code_text(code).strip().split("-", 1)[0]
    return head if re.fullmatch(r"[A-Z]?\d{1,4}", head) else None


def codes_in(text: str) -> list[str]:
    """档号-shaped strings in free text (a question), cleaned, in order of appearance."""
    return _CODE_IN_TEXT.findall(clean_code_text(text))


def fonds_key(fonds: str) -> str:
    """Matching key for a 全宗号: `J038`, `j38` and `J０３８` are the same fonds."""
    return code_key(fonds)
