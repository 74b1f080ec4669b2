"""The LangChain retriever: our retrieval behind `BaseRetriever`, with the principal's clearance."""

from __future__ import annotations

from helpers import READER, STAFF
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda

from assistant.models import Filters
from assistant.retriever import ArchiveRetriever
from assistant.service import Assistant

RESTRICTED = "关于萧伟违纪问题的处分决定及本人检查"  # 39-1-0108, not 开放


def test_documents_carry_the_citation_and_the_asked_year(sample_assistant: Assistant) -> None:
    retriever = ArchiveRetriever(assistant=sample_assistant, principal=STAFF, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("2022年全年接待了多少查档人次")
    assert 1 <= len(docs) <= 3
    best = docs[0]
    assert "1190人次" in best.page_content
    assert best.metadata["source"] == "2022年度部门整体支出绩效评价报告.pdf" and best.metadata["page"] == 3
    assert best.metadata["citation"] == "《2022年度部门整体支出绩效评价报告》第3页"
    assert all(d.metadata["year"] in (2022, None) for d in docs)  # the question's year narrows the search


def test_a_reader_never_gets_a_restricted_record(sample_assistant: Assistant) -> None:
    question = "萧伟违纪问题的处分决定"
    staff = ArchiveRetriever(assistant=sample_assistant, principal=STAFF, k=10).invoke(question)
    reader = ArchiveRetriever(assistant=sample_assistant, principal=READER, k=10).invoke(question)
    assert any(RESTRICTED in d.page_content for d in staff)  # it exists, and staff may see it
    assert reader and not any(
        RESTRICTED in d.page_content or d.metadata["archival_code"] == "39-1-0108" for d in reader
    )


def test_it_composes_in_a_chain_with_fixed_filters(sample_assistant: Assistant) -> None:
    retriever = ArchiveRetriever(assistant=sample_assistant, principal=READER, filters=Filters(kinds=("guide",)), k=2)
    chain = retriever | RunnableLambda(lambda docs: [d.metadata["source"] for d in docs])
    assert chain.invoke("库房温度应该控制在多少？") == ["新进人员入门指南.md"] * 2
