"""The Assistant: the one Python API that the CLI, the UI, the tests and the benchmarks call.

assistant = build_assistant(load_settings(index_dir=Path("idx")))
assistant.ingest([Path("corpora/sample")])
answer = assistant.ask("2022年接待查档多少人次？", Principal("王", Role.STAFF))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant import audit, manage
from assistant.access import clearance
from assistant.answer.catalogue import answer_count, answer_list, answer_lookup, scope_of
from assistant.answer.draft import best_section, draft_section, section_hint
from assistant.answer.extractive import further_reading
from assistant.answer.followup import Resolution, resolve
from assistant.answer.generate import AnswerEvent, generate
from assistant.answer.grounding import cited_hits
from assistant.answer.llm import condense_question
from assistant.answer.local_llm import LocalModelServer
from assistant.answer.question import analyse
from assistant.codes import code_key, codes_in
from assistant.errors import LLMError, QuestionError
from assistant.index import db, library
from assistant.index.catalogue import CatalogueQuery, Entry, Listing
from assistant.index.lexical import terms
from assistant.index.store import Index, open_index
from assistant.ingest.levels import reapply_if_settings_changed
from assistant.ingest.pipeline import Progress, ingest
from assistant.manage import LibraryError as LibraryError  # callers catch it here
from assistant.models import NO_EVIDENCE_ANSWER, AccessChoice, Answer, Filters, Hit, IngestReport, Principal
from assistant.passages import Passages
from assistant.prompts import Mode, validate_prompts
from assistant.retrieve.catalogue import entries_of_codes, listing_of
from assistant.retrieve.routing import exact_route
from assistant.settings import Settings
from assistant.text.places import place_of
from assistant.text.years import years_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexStatus:
    index_dir: str
    sources: int
    chunks: int
    catalogue_rows: int
    pending_sources: int
    embedding_model: str
    embedding_warning: str | None
    llm: str

    def summary(self) -> str:
        line = (
            f"文档 {self.sources} 个 · 文本块 {self.chunks} 个 · 目录条目 {self.catalogue_rows} 条 · "
            f"嵌入模型 {self.embedding_model} · 回答方式 {self.llm}"
        )
        return f"{line}\n⚠ {self.embedding_warning}" if self.embedding_warning else line


class Assistant:
    def __init__(self, settings: Settings, index: Index, local_model: LocalModelServer | None = None) -> None:
        self.settings = settings
        self.index = index
        self.local_model = local_model  # the llama.cpp server this assistant started, if any
        self.passages = Passages(settings, index)

    def close(self) -> None:
        """Stop the local model server, if one was started (it is also stopped at exit)."""
        if self.local_model:
            self.local_model.stop()

    def ingest(
        self,
        paths: Iterable[Path],
        progress: Progress | None = None,
        *,
        choice: AccessChoice | None = None,
        added_by: str | None = None,
    ) -> IngestReport:
        """Ingest files; `choice` is the open status and 密级 chosen for the documents among them
        (catalogue rows keep their own), `added_by` who added them."""
        report = ingest(self.index, [Path(p) for p in paths], progress, choice, added_by)
        self.forget_counts()
        return report

    def forget_counts(self) -> None:
        """The holdings or their levels changed: cached counts go."""
        self.passages.forget()

    # ---- the document library (the work is in manage.py) -------------------------------------

    def library(self, principal: Principal, text: str = "", kind: str = "") -> list[library.SourceEntry]:
        """The sources this principal may see, with counts within its clearance."""
        return library.sources(self.index.conn, clearance(principal), text, kind)

    def delete_source(self, principal: Principal, source_id: str) -> str:
        """Remove a source (chunks, vectors, catalogue rows, OCR pages) and re-level the records
        that were linked to its rows; audited. Returns its name."""
        return manage.delete_source(self, principal, source_id)

    def reindex_source(self, principal: Principal, source_id: str, progress: Progress | None = None) -> IngestReport:
        """Read a source's file again (as if it had changed); audited."""
        return manage.reindex_source(self, principal, source_id, progress)

    def set_access(self, principal: Principal, source_id: str, choice: AccessChoice) -> str:
        """Give a document the open status and 密级 chosen (staff may not set a 密级); audited."""
        return manage.set_access(self, principal, source_id, choice)

    def ask(
        self,
        question: str,
        principal: Principal,
        filters: Filters | None = None,
        k: int | None = None,
        *,
        mode: Mode = "ask",
        history: Sequence[tuple[str, str]] = (),
        figures: str = "",
        audit_mode: str | None = None,
    ) -> Answer:
        """The whole answer at once (see `ask_stream` for the arguments)."""
        events = self.ask_stream(
            question, principal, filters, k, mode=mode, history=history, figures=figures, audit_mode=audit_mode
        )
        return [event for event in events if isinstance(event, Answer)][-1]

    def ask_stream(
        self,
        question: str,
        principal: Principal,
        filters: Filters | None = None,
        k: int | None = None,
        *,
        mode: Mode = "ask",
        history: Sequence[tuple[str, str]] = (),
        figures: str = "",
        audit_mode: str | None = None,
    ) -> Iterator[AnswerEvent]:
        """Text pieces while a model writes a draft or an explanation, then the final `Answer`
        (always last, always once). In ask mode only the checked `Answer` comes.

        `mode` is ask (grounded answer), draft (a report section from earlier years' same
        section, with `figures` the user supplies) or onboard (explanations from the guides).
        `history` holds earlier (question, answer) turns; with a model, a follow-up is rewritten
        into a standalone question before retrieval.
        """
        started = time.perf_counter()
        asked = question  # as typed: the audit log records it so
        question = self._checked(question)
        filters = filters or Filters()
        k = k or self.settings.top_k
        warnings: list[str] = []
        resolution = self._standalone(question, list(history), warnings)
        search_question = resolution.question
        answer: Answer | None = None
        if not _searchable(search_question):
            answer = Answer(
                question, NO_EVIDENCE_ANSWER, "no_evidence", hint="请用一句完整的话提问，例如“2022年接待查档多少人次？”"
            )
        elif mode == "ask":
            answer = self._answer_exact(search_question, principal, filters, resolution.page)
        if answer is None:
            hits, extractive = self._evidence(search_question, principal, filters, k, mode, figures)
            if resolution.tentative and extractive.status != "answered":
                # "出具证明多少份？" after a 2022 question: with 2022 it found nothing; as asked, then.
                search_question = question
                resolution = Resolution(question, False)
                hits, extractive = self._evidence(question, principal, filters, k, mode)
            if self.settings.llm_enabled and hits and (mode != "ask" or extractive.status == "answered"):
                try:
                    for event in generate(self.settings, mode, search_question, hits, extractive, figures):
                        if isinstance(event, Answer):
                            answer = event
                        elif mode != "ask":
                            # A question's answer is held back until it is checked: a small model's
                            # wrong figure must not flash on screen. Drafts stream; they are drafts.
                            yield event
                finally:
                    if answer is None:  # stopped while the model wrote: what reached the screen is audited too
                        audit.record_interrupted(
                            self.index.conn, principal, audit_mode or mode, question, [h.chunk for h in hits]
                        )
            else:
                answer = extractive
            if answer is not None and answer is not extractive:  # generated: retrieval time is the extractive answer's
                answer.timings_ms["retrieve"] = extractive.timings_ms.get("retrieve", 0.0)
        assert answer is not None
        answer.question = asked
        if resolution.followed_up:
            answer.understood_as = search_question
            answer.answer = f"理解为：{search_question}\n{answer.answer}"
        answer.warnings[:0] = warnings
        total = (time.perf_counter() - started) * 1000
        answer.timings_ms["total"] = total
        answer.timings_ms.setdefault("retrieve", 0.0)
        answer.timings_ms.setdefault("answer", total - answer.timings_ms["retrieve"])
        # Counts only: the question and what was found may be above a log reader's clearance.
        log.debug("ask role=%s mode=%s status=%s", principal.role, mode, answer.status)
        audit.record(self.index.conn, principal, audit_mode or mode, answer)  # MCP tools record "mcp"
        yield answer

    # ---- the exact legs on their own (for programs: assistant/ui/mcp_tools.py) ---------------

    def look_up(self, text: str, principal: Principal, *, audit_mode: str = "ask") -> tuple[Answer, list[Entry]]:
        """The catalogue rows of the 档号s in `text` within the principal's clearance. Audited."""
        codes = codes_in(self._checked(text))
        if not codes:
            raise QuestionError("没有认出档号：请写出完整档号，例如 38-1-0045 或 J001-WS·2020-Y-0012。")
        answer, entries = self._answer_codes(text, [code_key(c) for c in codes], clearance(principal))
        audit.record(self.index.conn, principal, audit_mode, answer)
        return answer, entries

    def catalogue(
        self, query: CatalogueQuery, principal: Principal, *, page: int = 1, audit_mode: str = "ask"
    ) -> tuple[Answer, Listing]:
        """A count or one page of a list of catalogue entries within the principal's clearance,
        audited with the query in words as the question."""
        if page < 1:
            raise QuestionError("页码从 1 开始。")
        asked = ("统计" if query.intent == "count" else "列出") + scope_of(query)
        asked += f"（第 {page} 页）" if page > 1 else ""
        answer, listing = self._catalogue_answer(asked, query, Filters(), clearance(principal), page)
        if listing.total == 0 and query.intent != "count":
            answer = Answer(asked, NO_EVIDENCE_ANSWER, "no_evidence", timings_ms=answer.timings_ms)
        audit.record(self.index.conn, principal, audit_mode, answer)
        return answer, listing

    def _checked(self, question: str) -> str:
        """The question stripped; too long a question is refused with a message, never searched."""
        question = question.strip()
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise QuestionError(f"问题太长（{len(question)} 字），请控制在 {limit} 字以内，或拆成几个问题分别提问。")
        return question

    def _standalone(self, question: str, history: list[tuple[str, str]], warnings: list[str]) -> Resolution:
        """The question read with the conversation: by the follow-up rules first (no model needed);
        a model, when one is configured, rewrites what the rules leave as it is."""
        resolution = resolve(question, [asked for asked, _ in history], self.settings.current_year())
        if resolution.followed_up or not (history and self.settings.llm_enabled):
            return resolution
        try:
            condensed = condense_question(self.settings, question, history)
        except LLMError as exc:
            warnings.append(f"未能结合上文改写问题，按原问题检索：{exc}")
            return resolution
        return Resolution(condensed, condensed != question)

    def _answer_exact(self, question: str, principal: Principal, filters: Filters, page: int = 1) -> Answer | None:
        """档号 lookups, counts and lists straight from the catalogue table, or None (also when
        the asker's filters leave catalogues out)."""
        route = exact_route(question, filters)
        if route is None:
            return None
        if route.codes:
            return self._answer_codes(question, list(route.codes), clearance(principal))[0]
        assert route.query is not None
        return self._answer_catalogue(question, route.query, filters, clearance(principal), page)

    def _evidence(
        self, question: str, principal: Principal, filters: Filters, k: int, mode: Mode, figures: str = ""
    ) -> tuple[list[Hit], Answer]:
        """The chunks a model would be given, and the extractive answer from them."""
        started = time.perf_counter()
        max_level = clearance(principal)
        if mode == "draft" and (drafted := self._draft(question, principal, figures)):
            hits, answer = drafted
            answer.timings_ms = {"retrieve": 0.0, "answer": (time.perf_counter() - started) * 1000}
            return hits, answer
        if mode == "onboard" and not filters.kinds and db.has_kind(self.index.conn, "guide", max_level):
            filters = replace(filters, kinds=("guide",))
        if mode == "draft" and not filters.kinds:
            filters = replace(filters, kinds=("report",))
        answer, hits = self.passages.answer(question, principal, filters, k, use_years=mode != "draft")
        if mode == "onboard" and answer.status == "answered":
            answer.answer += further_reading(hits, answer)
        if mode == "ask":  # a model is shown only the chunks whose sentences passed the evidence checks
            return cited_hits(hits, answer), answer
        return hits[:k], answer

    def _draft(self, question: str, principal: Principal, figures: str) -> tuple[list[Hit], Answer] | None:
        """A draft of the section the request names (in quotes, by number, or in its own words),
        from our archive's earlier reports of that section; None when no section matches."""
        max_level = clearance(principal)
        sections = db.report_sections(self.index.conn, max_level)
        section = section_hint(question) or best_section(question, sections)
        if not section:
            return None
        home = self.passages.with_home(analyse(question, current_year=self.settings.current_year()), principal).home
        chunks = [
            c
            for c in db.chunks_in_section(self.index.conn, section, max_level)
            if not home or home in c.header or not place_of(c.header.lstrip("《"))
        ]
        if not chunks:
            return None
        year = max(years_in(question), default=self.settings.current_year())
        return [Hit(c, 1.0) for c in chunks], draft_section(question, section, chunks, year, figures)

    def _answer_codes(self, question: str, keys: list[str], max_level: int) -> tuple[Answer, list[Entry]]:
        """The answer and the entries it shows (only those of the access-filtered lookup)."""
        started = time.perf_counter()
        entries, chunks = entries_of_codes(self.index.conn, keys, max_level)
        answer = answer_lookup(question, entries, chunks)
        answer.timings_ms = {"retrieve": (time.perf_counter() - started) * 1000, "answer": 0.0}
        return answer, [e for e in entries if e.chunk_id in chunks]

    def _answer_catalogue(
        self, question: str, query: CatalogueQuery, filters: Filters, max_level: int, page: int = 1
    ) -> Answer | None:
        """Counts and lists from the catalogue table; None lets passage retrieval try instead."""
        answer, listing = self._catalogue_answer(question, query, filters, max_level, page)
        return answer if listing.total else None

    def _catalogue_answer(
        self, question: str, query: CatalogueQuery, filters: Filters, max_level: int, page: int
    ) -> tuple[Answer, Listing]:
        """The count or list answer from one page of the access-filtered listing, and the listing."""
        started = time.perf_counter()
        query, listing, chunks = listing_of(self.index.conn, query, filters, max_level, page)
        retrieved = time.perf_counter()
        if query.intent == "count":
            answer = answer_count(question, query, listing.total, listing, chunks)
        else:
            answer = answer_list(question, query, listing, chunks)
        answer.timings_ms = {
            "retrieve": (retrieved - started) * 1000,
            "answer": (time.perf_counter() - retrieved) * 1000,
        }
        return answer, listing

    def status(self) -> IndexStatus:
        counts = db.stats(self.index.conn)
        return IndexStatus(
            index_dir=str(self.settings.index_dir),
            sources=counts["sources"],
            chunks=counts["chunks"],
            catalogue_rows=counts["catalogue_rows"],
            pending_sources=counts["pending_sources"],
            embedding_model=self.index.embedder.name,
            embedding_warning=self.index.embedder.fallback_warning,
            llm=self.settings.llm_model if self.settings.llm_enabled else "extractive",
        )


def _searchable(question: str) -> bool:
    """A question with something to search for: a word of two or more letters or characters
    ("1" or "+1+1" is not; a 档号 is, and is answered from the catalogue)."""
    return (
        bool(codes_in(question))
        or any(len(t) >= 2 and not t.replace(".", "").isdigit() for t in terms(question))
        or any("\u4e00" <= ch <= "\u9fff" for ch in question)
    )


def build_assistant(settings: Settings) -> Assistant:
    """The one way to make an Assistant: opens (or creates) the index the settings name.

    With a language model configured, the prompt templates are checked now, so a broken
    template is reported at start-up rather than on the first question. With a local GGUF model
    (`llm_local_model`), its llama.cpp server is started here and stopped by `close()` or at exit."""
    local = None
    if settings.llm_local_model:
        validate_prompts(settings.prompts_dir)  # before a model is loaded for nothing
        local = start_local_model(settings)
        settings = settings.model_copy(update={"llm_base_url": local.base_url, "llm_model": local.model})
    if settings.llm_enabled:
        validate_prompts(settings.prompts_dir)
    try:
        index = open_index(settings)
        reapply_if_settings_changed(index)  # a tightened open-status setting reaches stored documents now
    except BaseException:
        if local:
            local.stop()
        raise
    return Assistant(settings, index, local)


def start_local_model(settings: Settings) -> LocalModelServer:
    server = LocalModelServer(
        Path(settings.llm_local_model),
        threads=settings.llm_local_threads,
        context=settings.llm_local_context,
        start_timeout=settings.llm_local_start_timeout,
    )
    return server.start()
