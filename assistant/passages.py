"""Answers from report and guide passages: each part of a question searched on its own, a
question across years answered from each year's checked figure.

Retrieval is `assistant.retrieve` (its years narrowed by `routing.year_filters`); finding the
sentences that answer and rendering them is `assistant.answer`. The counts a term's weight needs
are the index's (`index/term_counts.py`); our archive's place (the entity a question does not
name) is cached per clearance until the holdings change (`forget`).
"""

from __future__ import annotations

import time
from dataclasses import replace

from assistant.access import clearance
from assistant.answer.extractive import Finding, find, render, term_weights
from assistant.answer.question import Question, analyse
from assistant.answer.series import Span, YearFigure, change_span, figure_of, part_question, read_span, render_span
from assistant.index import db
from assistant.index.figures import figure_rows
from assistant.index.lexical import terms
from assistant.index.store import Index
from assistant.models import Answer, Filters, Hit, Principal
from assistant.retrieve import retrieve
from assistant.retrieve.routing import year_filters
from assistant.settings import Settings
from assistant.text.places import home_place, place_of


class Passages:
    def __init__(self, settings: Settings, index: Index) -> None:
        self.settings = settings
        self.index = index
        self._home: dict[int, str] = {}

    def forget(self) -> None:
        """Drop the cached place: the holdings or their levels changed."""
        self._home.clear()

    def answer(
        self, question: str, principal: Principal, filters: Filters, k: int, use_years: bool = True
    ) -> tuple[Answer, list[Hit]]:
        """Answer from report and guide passages: each part of the question on its own."""
        started = time.perf_counter()
        span = read_span(question) if use_years else None
        if span and (across := self._answer_span(question, span, principal, filters, k)):
            return across
        asked = self.with_home(analyse(question, current_year=self.settings.current_year()), principal)
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
            probe = self.with_home(analyse(span.topic + "是多少", current_year=self.settings.current_year()), principal)
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
            part = self.with_home(analyse(part_question(year, span.topic), current_year=year), principal)
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
        rows = figure_rows(self.index.conn, words, clearance(principal))
        return {year for _, year, *_ in rows if year is not None}

    def with_home(self, asked: Question, principal: Principal) -> Question:
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
        narrow = year_filters(self.index.conn, question.years, filters, clearance(principal)) if use_years else None
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
        frequencies = found.frequencies
        visible = self.index.term_counts.visible_total(self.index.conn, max_level)
        weights = term_weights(found.query_terms, frequencies, visible)
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
