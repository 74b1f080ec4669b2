"""Which retrieval a question takes, decided once for the Assistant and the LangChain retriever.

A question naming a 档号 is a lookup, and a count or list of records is a catalogue listing:
both are answered exactly from the catalogue table (catalogue.py), unless the asker's filters
leave catalogues out. Every other question goes to hybrid passage retrieval (`retrieve`), where
the years it names narrow the search when the holdings have material for them and the asker set
no year range (`year_filters`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.codes import code_key, codes_in
from assistant.index import fts
from assistant.index.catalogue import CatalogueQuery
from assistant.index.sqlite import Connection
from assistant.models import Filters
from assistant.retrieve.catalogue import parse_question


@dataclass(frozen=True)
class Exact:
    """A question the catalogue table answers: `codes` (档号 keys) to look up, or a `query`."""

    codes: tuple[str, ...] = ()
    query: CatalogueQuery | None = None


def exact_route(question: str, filters: Filters) -> Exact | None:
    """The catalogue lookup or listing the question asks for; None for passage retrieval."""
    if filters.kinds and "catalogue" not in filters.kinds:
        return None
    if asked := codes_in(question):
        return Exact(codes=tuple(code_key(c) for c in asked))
    if query := parse_question(question):
        return Exact(query=query)
    return None


def year_filters(conn: Connection, years: tuple[int, ...], filters: Filters, max_level: int) -> Filters | None:
    """The filters narrowed to the question's `years`, when it names some, the asker set no year
    range, and the holdings the principal may see have material for them; else None."""
    unfiltered = filters.year_from is None and filters.year_to is None
    if years and unfiltered and fts.years_with_material(conn, years, max_level):
        return replace(filters, years=years)
    return None
