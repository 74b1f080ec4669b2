"""The archive as a LangChain retriever, for other programs' chains and agents, access control intact.

    from assistant.retriever import ArchiveRetriever
    retriever = ArchiveRetriever(assistant=build_assistant(settings), principal=Principal("王", Role.READER))
    for doc in retriever.invoke("2022年接待查档多少人次？"):
        print(doc.metadata["citation"], doc.page_content)

Each Document is one chunk our hybrid retrieval found (档号-aware lexical search, dense search,
fusion), filtered by what the principal may see before ranking, exactly as for our own answers:
a reader's retriever never returns a record that is not 开放. The principal is fixed when the
retriever is made; nothing in a query or a run config can change it. A question naming years
looks at chunks of those years first, as `Assistant` does, when the holdings have any.
Metadata is the citation data: source file, page, fonds, 档号, year, and `citation`, the place
written as our answers write it. Deliberately not done here: answering, or auditing (a chain
that shows these chunks to a person should record that itself).
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from assistant.access import clearance
from assistant.answer.citations import place_of
from assistant.answer.question import analyse
from assistant.models import Filters, Hit, Principal
from assistant.retrieve import retrieve
from assistant.retrieve.routing import year_filters
from assistant.service import Assistant


class ArchiveRetriever(BaseRetriever):
    """The `k` chunks that best match a query among those `principal` may see."""

    assistant: Assistant
    principal: Principal
    filters: Filters = Field(default_factory=Filters)
    k: int = Field(default=5, ge=1, le=100)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        found = retrieve(self.assistant.index, query, self.principal, self._filters_for(query), self.k)
        return [document_of(hit) for hit in found.hits]

    def _filters_for(self, query: str) -> Filters:
        """The query's years narrow the search when the holdings have material for them and the
        retriever was given no year range of its own."""
        filters = self.filters
        if filters.year_from is not None or filters.year_to is not None or filters.years:
            return filters
        years = analyse(query, current_year=self.assistant.settings.current_year()).years
        return year_filters(self.assistant.index.conn, years, filters, clearance(self.principal)) or filters


def document_of(hit: Hit) -> Document:
    chunk = hit.chunk
    return Document(
        id=chunk.id,
        page_content=chunk.text,
        metadata={
            "source": chunk.source_name,
            "page": chunk.page,
            "fonds": chunk.fonds,
            "archival_code": chunk.archival_code,
            "year": chunk.year,
            "kind": chunk.kind,
            "section": chunk.section,
            "citation": place_of(chunk),
            "score": hit.score,
        },
    )
