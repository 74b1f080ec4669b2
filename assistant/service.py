"""The Assistant: the one Python API that the CLI, the UI, the tests and the benchmarks call.

assistant = build_assistant(load_settings(index_dir=Path("idx")))
assistant.ingest([Path("corpora/sample")])
answer = assistant.ask("2022年接待查档多少人次？", Principal("王", Role.STAFF))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant import audit, catalogue_search
from assistant.access import CLASSIFIED, clearance
from assistant.answer.catalogue import answer_count, answer_list, answer_lookup, scope_of
from assistant.answer.draft import best_section, draft_section, section_hint
from assistant.answer.extractive import Finding, find, further_reading, render, term_weights
from assistant.answer.followup import Resolution, resolve
from assistant.answer.generate import AnswerEvent, generate
from assistant.answer.grounding import cited_hits
from assistant.answer.llm import condense_question
from assistant.answer.local_llm import LocalModelServer
from assistant.answer.question import Question, analyse, home_place, place_of
from assistant.answer.series import (
    Span,
    YearFigure,
    change_span,
    figure_of,
    part_question,
    read_span,
    render_span,
)
from assistant.catalogue_search import CatalogueQuery, Entry, Listing, parse_question
from assistant.codes import code_key, codes_in
from assistant.errors import AssistantError, LLMError, QuestionError
from assistant.index import db, library, vectors
from assistant.index.lexical import terms
from assistant.index.store import Index, open_index
from assistant.ingest import levels
from assistant.ingest.levels import reapply_if_settings_changed
from assistant.ingest.pipeline import Progress, ingest
from assistant.models import NO_EVIDENCE_ANSWER, AccessChoice, Answer, Filters, Hit, IngestReport, Principal, Role
from assistant.prompts import Mode, validate_prompts
from assistant.retrieve import retrieve
from assistant.settings import Settings
from assistant.text.years import years_in

log = logging.getLogger(__name__)


class LibraryError(AssistantError):
    """A document library action that cannot be done as asked, as one sentence."""


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
        self._visible_chunks: dict[int, int] = {}
        self._home: dict[int, str] = {}

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
        self._forget_counts()
        return report

    def _forget_counts(self) -> None:
        self._visible_chunks.clear()
        self._home.clear()

    # ---- the document library (thin: the work is in index.library and ingest.levels) ----------

    def library(self, principal: Principal, text: str = "", kind: str = "") -> list[library.SourceEntry]:
        """The sources this principal may see, with counts within its clearance."""
        return library.sources(self.index.conn, clearance(principal), text, kind)

    def delete_source(self, principal: Principal, source_id: str) -> str:
        """Remove a source (chunks, vectors, catalogue rows, OCR pages) and re-level the records
        that were linked to its rows; audited. Returns its name."""
        entry = self._manageable(principal, source_id, "删除")
        path = library.remove_source(self.index.conn, source_id)
        if path is None:
            raise LibraryError("该文档已不在索引中，请刷新列表。")
        vectors.delete_source(self.index.collection, source_id)
        if entry.kind == "catalogue":  # its records fall back to the level of unlinked scans
            levels.apply_levels(self.index, levels.stale_sources(self.index.conn, self.settings))
        uploads = (self.settings.index_dir / "uploads").resolve()
        if Path(path).parent == uploads:  # our own copy of an upload goes with it
            Path(path).unlink(missing_ok=True)
        self._forget_counts()
        audit.record_action(self.index.conn, principal, "delete", entry.name)
        return entry.name

    def reindex_source(self, principal: Principal, source_id: str, progress: Progress | None = None) -> IngestReport:
        """Read a source's file again (as if it had changed); audited."""
        entry = self._manageable(principal, source_id, "重新导入")
        if not Path(entry.path).exists():
            raise LibraryError(f"原文件 {entry.name} 已不在原处，无法重新导入；请重新上传。")
        library.mark_changed(self.index.conn, source_id)
        report = self.ingest([Path(entry.path)], progress)
        audit.record_action(self.index.conn, principal, "reindex", entry.name)
        return report

    def set_access(self, principal: Principal, source_id: str, choice: AccessChoice) -> str:
        """Give a document the open status and 密级 chosen (staff may not set a 密级); audited."""
        entry = self._manageable(principal, source_id, "修改访问级别")
        if choice.classification and clearance(principal) < CLASSIFIED:
            raise LibraryError("只有管理员可以设定密级。")
        library.choose_access(self.index.conn, entry.path, choice.open_status, choice.classification)
        levels.reapply_chosen(self.index, [entry.path])
        self._forget_counts()
        shown = "，".join(part for part in (choice.open_status, choice.classification) if part)
        audit.record_action(self.index.conn, principal, "access", f"{entry.name} → {shown}")
        return entry.name

    def _manageable(self, principal: Principal, source_id: str, action: str) -> library.SourceEntry:
        """The source, when this principal may manage it: staff and admin only; a source the
        principal may not see is answered as if it did not exist; a catalogue (whose rows are
        levelled one by one, some perhaps above the principal's clearance) only by an admin."""
        if principal.role is Role.READER:
            raise LibraryError("只有馆员和管理员可以管理文档。")
        entry = library.source(self.index.conn, source_id, clearance(principal))
        if entry is None:
            raise LibraryError("该文档已不在索引中，请刷新列表。")
        if entry.kind == "catalogue" and principal.role is not Role.ADMIN:
            raise LibraryError(f"目录的每一条按自己的开放状态和密级定级，{action}目录需由管理员操作。")
        if entry.kind == "catalogue" and action == "修改访问级别":
            raise LibraryError("目录的每一条按自己的开放状态和密级定级；请修改目录文件后重新导入。")
        if not entry.whole:  # never for a document (one level); a guard should the rules change
            raise LibraryError("该文档无法由您管理，请联系管理员。")
        return entry

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
        into a standalone question before retrieval. `audit_mode` is what the audit log records
        as the mode (default `mode`; the MCP tools record theirs as `mcp`).
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
        audit.record(self.index.conn, principal, audit_mode or mode, answer)
        yield answer

    # ---- the exact legs on their own (for programs: assistant/ui/mcp_tools.py) ---------------

    def look_up(self, text: str, principal: Principal, *, audit_mode: str = "ask") -> tuple[Answer, list[Entry]]:
        """The catalogue rows of the 档号s written in `text`, within the principal's clearance
        (a record above it is answered as if it did not exist); never a passage search. Audited."""
        text = self._checked(text)
        codes = codes_in(text)
        if not codes:
            raise QuestionError("没有认出档号：请写出完整档号，例如 38-1-0045 或 J001-WS·2020-Y-0012。")
        answer, entries = self._answer_codes(text, codes, clearance(principal))
        audit.record(self.index.conn, principal, audit_mode, answer)
        return answer, entries

    def catalogue(
        self, query: CatalogueQuery, principal: Principal, *, page: int = 1, audit_mode: str = "ask"
    ) -> tuple[Answer, Listing]:
        """A count (`query.intent == "count"`) or one page of a list of catalogue entries, within
        the principal's clearance; nothing found is a count of 0 or `no_evidence`. Audited, with
        the query in words as the question."""
        if page < 1:
            raise QuestionError("页码从 1 开始。")
        word = "统计" if query.intent == "count" else "列出"
        asked = f"{word}{scope_of(query)}" + (f"（第 {page} 页）" if page > 1 else "")
        answer, listing = self._catalogue_answer(asked, query, clearance(principal), page)
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
        if filters.kinds and "catalogue" not in filters.kinds:
            return None
        max_level = clearance(principal)
        if asked := codes_in(question):
            return self._answer_codes(question, asked, max_level)[0]
        if query := parse_question(question):
            return self._answer_catalogue(question, query, filters, max_level, page)
        return None

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
        answer, hits = self._answer_passages(question, principal, filters, k, use_years=mode != "draft")
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
        home = self._with_home(analyse(question, current_year=self.settings.current_year()), principal).home
        chunks = [
            c
            for c in db.chunks_in_section(self.index.conn, section, max_level)
            if not home or home in c.header or not place_of(c.header.lstrip("《"))
        ]
        if not chunks:
            return None
        year = max(years_in(question), default=self.settings.current_year())
        return [Hit(c, 1.0) for c in chunks], draft_section(question, section, chunks, year, figures)

    def _answer_codes(self, question: str, asked: list[str], max_level: int) -> tuple[Answer, list[Entry]]:
        """The answer and the entries it shows (ids come from the access-filtered lookup)."""
        started = time.perf_counter()
        ids = db.code_lookup(self.index.conn, [code_key(c) for c in asked], max_level)
        entries = catalogue_search.entries_by_chunk(self.index.conn, ids)
        chunks = db.chunks_by_id(self.index.conn, ids)
        answer = answer_lookup(question, entries, chunks)
        answer.timings_ms = {"retrieve": (time.perf_counter() - started) * 1000, "answer": 0.0}
        return answer, [e for e in entries if e.chunk_id in chunks]

    def _answer_catalogue(
        self, question: str, query: CatalogueQuery, filters: Filters, max_level: int, page: int = 1
    ) -> Answer | None:
        """Counts and lists from the catalogue table; None lets passage retrieval try instead."""
        if filters.fonds and not query.fonds:
            query = replace(query, fonds=filters.fonds)
        # The asker's year filter bounds what the question's own years may ask for.
        low = _tightest(max, filters.year_from, query.year_from)
        high = _tightest(min, filters.year_to, query.year_to)
        query = replace(query, year_from=low, year_to=high)
        answer, listing = self._catalogue_answer(question, query, max_level, page)
        return answer if listing.total else None

    def _catalogue_answer(
        self, question: str, query: CatalogueQuery, max_level: int, page: int
    ) -> tuple[Answer, Listing]:
        """The count or list answer from one page of the access-filtered listing, and the listing."""
        started = time.perf_counter()
        listing = catalogue_search.list_entries(self.index.conn, query, max_level, offset=(page - 1) * _PAGE)
        chunks = db.chunks_by_id(self.index.conn, [e.chunk_id for e in listing.entries])
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

    def _answer_passages(
        self, question: str, principal: Principal, filters: Filters, k: int, use_years: bool = True
    ) -> tuple[Answer, list[Hit]]:
        """Answer from report and guide passages: each part of the question on its own."""
        started = time.perf_counter()
        span = read_span(question) if use_years else None
        if span and (across := self._answer_span(question, span, principal, filters, k)):
            return across
        asked = self._with_home(analyse(question, current_year=self.settings.current_year()), principal)
        if not use_years:  # drafting 2024 from earlier years: the year named is not the one to find
            asked = replace(asked, years=(), parts=tuple(replace(p, years=()) for p in asked.parts))
        findings: list[Finding] = []
        hits: list[Hit] = []
        timings = {"retrieve": 0.0, "answer": 0.0}
        for part in asked.parts or (asked,):
            finding, part_hits = self._find(part, principal, filters, k, use_years, timings)
            findings.append(finding)
            hits += [h for h in part_hits if all(h.chunk.id != seen.chunk.id for seen in hits)]
        answer = render(question, asked, findings)
        # "2022年…比上年增加了多少" and the report states no change: the two years' figures do.
        change = change_span(question) if answer.status != "answered" and use_years else None
        if change and (across := self._answer_span(question, change, principal, filters, k)):
            return across
        answer.timings_ms = {
            "retrieve": timings["retrieve"],
            "answer": (time.perf_counter() - started) * 1000 - timings["retrieve"],
        }
        return answer, hits

    def _answer_span(
        self, question: str, span: Span, principal: Principal, filters: Filters, k: int
    ) -> tuple[Answer, list[Hit]] | None:
        """A question across years from each year's checked figure; None when fewer than two
        years have it (the question is then answered as an ordinary one)."""
        started = time.perf_counter()
        timings = {"retrieve": 0.0}
        years = span.years
        if not years or span.since or (span.kind != "difference" and len(years) == 2 and not span.recent):
            # Which years the holdings have this figure for: the newest answer and the other years'.
            probe = self._with_home(
                analyse(span.topic + "是多少", current_year=self.settings.current_year()), principal
            )
            found, _ = self._search(probe, principal, filters, k, timings)
            known = {y for q in found.quotes[:1] + found.other_years for y in q.years[:1]}
            known |= self._figure_years(span.topic, principal)
            years = tuple(
                y
                for y in sorted(known)
                if not span.years or (min(span.years) <= y and (span.since or y <= max(span.years)))
            )
        if span.recent:
            years = years[-span.recent :]
        figures: list[YearFigure] = []
        hits: list[Hit] = []
        for year in years:
            part = self._with_home(analyse(part_question(year, span.topic), current_year=year), principal)
            finding, part_hits = self._find(part, principal, filters, k, True, timings)
            figures.append(figure_of(year, finding))
            hits += [h for h in part_hits if all(h.chunk.id != seen.chunk.id for seen in hits)]
        answer = render_span(question, span, figures)
        if answer is None:
            return None
        answer.timings_ms = {"retrieve": timings["retrieve"], "answer": (time.perf_counter() - started) * 1000}
        return answer, hits

    def _figure_years(self, topic: str, principal: Principal) -> set[int]:
        """Years the figures table has a result for the topic's longest word (接待查档)."""
        words = sorted((t for t in terms(topic) if len(t) >= 2), key=len, reverse=True)[:1]
        if not words:
            return set()
        rows = db.figure_rows(self.index.conn, words, clearance(principal))
        return {year for _, year, *_ in rows if year is not None}

    def _with_home(self, asked: Question, principal: Principal) -> Question:
        """The question with our archive's place standing in for the entity it does not name."""
        level = clearance(principal)
        if level not in self._home:
            named = place_of(self.settings.archive_name) if self.settings.archive_name else ""
            self._home[level] = named or home_place(db.issuers(self.index.conn, level))
        home = self._home[level]
        parts = tuple(replace(p, home=home) if not p.entities else p for p in asked.parts)
        return replace(asked, home=home if not asked.entities else "", parts=parts)

    def _find(
        self,
        question: Question,
        principal: Principal,
        filters: Filters,
        k: int,
        use_years: bool,
        timings: dict[str, float],
    ) -> tuple[Finding, list[Hit]]:
        """What the holdings say to one question. Its years narrow retrieval when the holdings
        have material for them and the asker set no year filter; when nothing there answers,
        the search is repeated over every year (a 2025 report can hold the 2024 figure), and
        that wider search also tells the hint which years there are."""
        max_level = clearance(principal)
        narrow = None
        unfiltered = filters.year_from is None and filters.year_to is None
        if (
            use_years
            and question.years
            and unfiltered
            and db.years_with_material(self.index.conn, question.years, max_level)
        ):
            narrow = replace(filters, years=question.years)
        finding, hits = self._search(question, principal, narrow or filters, k, timings)
        if narrow is not None and not finding.found:
            wider, wider_hits = self._search(question, principal, filters, k, timings)
            if wider.found or wider.hint:
                return wider, wider_hits
        return finding, hits

    def _search(
        self, question: Question, principal: Principal, filters: Filters, k: int, timings: dict[str, float]
    ) -> tuple[Finding, list[Hit]]:
        started = time.perf_counter()
        limit = max(self.settings.candidates, k)
        found = retrieve(self.index, question.text, principal, filters, limit)
        timings["retrieve"] += (time.perf_counter() - started) * 1000
        max_level = clearance(principal)
        frequencies = db.document_frequencies(self.index.conn, found.query_terms, max_level)
        weights = term_weights(found.query_terms, frequencies, self._visible_total(max_level))
        unseen = frozenset(t for t in found.query_terms if not frequencies.get(t))
        finding = find(
            question,
            found.hits,
            weights,
            self.settings.min_coverage,
            self.settings.max_quotes,
            depth=max(k, 20),
            unseen=unseen,
        )
        return finding, found.hits

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

    def _visible_total(self, max_level: int) -> int:
        if max_level not in self._visible_chunks:
            self._visible_chunks[max_level] = db.count_visible_chunks(self.index.conn, max_level)
        return self._visible_chunks[max_level]


_PAGE = 20  # catalogue entries listed per answer; "还有吗" shows the next ones


def _tightest(pick: Callable[..., int], *bounds: int | None) -> int | None:
    given = [b for b in bounds if b is not None]
    return pick(given) if given else None


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
