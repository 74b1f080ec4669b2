"""The place a document's issuer names ('青山县档案馆' → '青山县'), and the archive's home place:
a question about 本县 or with no place is about it."""

from __future__ import annotations

import re

_PLACE = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:省|市|县|区)")


def place_of(issuer: str) -> str:
    """'青山县档案馆' → '青山县'; '' when the issuer names no place."""
    match = _PLACE.match(issuer)
    return match.group(0) if match else ""


def home_place(issuers: list[str]) -> str:
    """The place most of the holdings' documents come from, when one place has most of them."""
    places = [p for p in (place_of(i) for i in issuers) if p]
    if not places:
        return ""
    best = max(set(places), key=places.count)
    return best if places.count(best) * 2 > len(places) else ""
