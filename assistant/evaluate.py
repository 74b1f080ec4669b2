"""Evaluate the assistant on a gold set (JSONL), through the same `ask` every user goes through.

Each gold item names the question, the role asking, the expected status, strings the answer must
contain, the expected source page or 档号, and strings that must never be shown (restricted
records). A *leak* is any forbidden string in the answer or citations, or any citation of a
chunk above the asker's clearance; the target is zero.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.access import clearance
from assistant.codes import code_key
from assistant.errors import ConfigError
from assistant.index import db
from assistant.models import Answer, Principal, Role
from assistant.service import Assistant

NEGATIVE_TYPES = frozenset({"unanswerable", "restricted", "no_evidence", "leak"})


@dataclass
class ItemResult:
    id: str
    type: str
    fact_ok: bool | None
    citation_ok: bool | None
    status_ok: bool
    leaks: list[str]
    expect_status: str
    answer: Answer


@dataclass
class EvalReport:
    items: list[ItemResult] = field(default_factory=list)

    def _share(self, values: Iterable[bool | None]) -> float | None:
        known = [v for v in values if v is not None]
        return round(sum(known) / len(known), 4) if known else None

    def metrics(self) -> dict[str, float | int | None]:
        figures = [i for i in self.items if i.type == "figure"]
        answerable = [i for i in self.items if i.fact_ok is not None]
        negatives = [i for i in self.items if i.type in NEGATIVE_TYPES or i.expect_status == "no_evidence"]
        return {
            "questions": len(self.items),
            "fact_accuracy": self._share(i.fact_ok for i in answerable),
            "citation_accuracy": self._share(i.citation_ok for i in self.items),
            "figure_with_page_accuracy": self._share(bool(i.fact_ok and i.citation_ok is not False) for i in figures),
            "no_evidence_accuracy": self._share(i.status_ok for i in negatives),
            "status_accuracy": self._share(i.status_ok for i in self.items),
            "leaks": sum(len(i.leaks) for i in self.items),
        }

    def failures(self) -> list[ItemResult]:
        return [i for i in self.items if i.fact_ok is False or i.citation_ok is False or not i.status_ok or i.leaks]


def load_gold(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"无法读取评测集 {path}：{exc.strerror or exc}") from exc
    items: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"评测集 {path} 第 {number} 行不是合法的 JSON：{exc.msg}") from exc
        if isinstance(raw, dict) and isinstance(raw.get("turns"), list):
            items.append(_conversation(raw, path, number))
            continue
        if not isinstance(raw, dict) or not (raw.get("question") or raw.get("q")):
            raise ConfigError(f"评测集 {path} 第 {number} 行缺少 question 字段")
        items.append(normalise_item(raw))
    return items


def _conversation(raw: dict[str, Any], path: Path, number: int) -> dict[str, Any]:
    """A conversation item: its turns, each a gold item asked with the turns before it as history."""
    turns = raw["turns"]
    assert isinstance(turns, list)
    if not turns or not all(isinstance(t, dict) and (t.get("question") or t.get("q")) for t in turns):
        raise ConfigError(f"评测集 {path} 第 {number} 行的 turns 应是一组带 question 字段的提问")
    conversation_id = str(raw.get("id", f"conv-{number}"))
    normalised = []
    for n, turn in enumerate(turns, start=1):
        item = normalise_item({"role": raw.get("role"), **turn})
        item["id"] = f"{conversation_id}.{n}"
        normalised.append(item)
    return {"id": conversation_id, "type": "conversation", "turns": normalised}


# Other names gold files use for our fields (first match wins).
_ALIASES = {
    "question": ("question", "q", "问题"),
    "expect_contains": ("expect_contains", "expected", "expected_answer", "answer_contains", "answer", "facts"),
    "expect_source": ("expect_source", "source", "file", "expected_source"),
    "expect_page": ("expect_page", "page", "expected_page"),
    "expect_archival_code": ("expect_archival_code", "archival_code", "档号", "expected_archival_code"),
    "expect_status": ("expect_status", "status", "expected_status"),
    "forbidden": ("forbidden", "must_not_contain", "restricted"),
    "role": ("role", "principal"),
}


def normalise_item(raw: dict[str, Any]) -> dict[str, Any]:
    """A gold item in our field names, whichever of the usual names the file used."""
    item: dict[str, Any] = {"id": raw.get("id", ""), "type": raw.get("type", "")}
    for field_name, names in _ALIASES.items():
        item[field_name] = next((raw[n] for n in names if raw.get(n) not in (None, "")), None)
    for list_field in ("expect_contains", "forbidden"):
        value = item[list_field]
        item[list_field] = [value] if isinstance(value, str | int | float) else list(value or [])
    item["expect_contains"] = [str(v) for v in item["expect_contains"]]
    unanswerable = raw.get("unanswerable") is True or raw.get("answerable") is False
    if item["expect_status"] not in ("answered", "no_evidence"):
        item["expect_status"] = "no_evidence" if unanswerable or item["type"] in NEGATIVE_TYPES else "answered"
    item["role"] = item["role"] or "staff"
    if not item["type"]:
        item["type"] = (
            "unanswerable" if item["expect_status"] == "no_evidence" else "figure" if item["expect_page"] else ""
        )
    return item


def evaluate(assistant: Assistant, gold: list[dict[str, Any]]) -> EvalReport:
    """Every item asked as its role would; a conversation's turns in order, each with the
    conversation so far as history, each judged like a single question."""
    report = EvalReport()
    for item in gold:
        turns = item["turns"] if item.get("type") == "conversation" else [item]
        history: list[tuple[str, str]] = []
        for turn in turns:
            role = Role(str(turn.get("role") or "staff"))
            answer = assistant.ask(str(turn["question"]), Principal("eval", role), history=history)
            report.items.append(judge(assistant, turn, role, answer))
            history.append((str(turn["question"]), answer.answer))
    return report


def judge(assistant: Assistant, item: dict[str, Any], role: Role, answer: Answer) -> ItemResult:
    expect_status = item.get("expect_status", "answered")
    contains = [str(s) for s in item.get("expect_contains") or []]
    fact_ok = None
    if expect_status == "answered" and contains:
        fact_ok = answer.status == "answered" and all(s in answer.answer for s in contains)
    return ItemResult(
        id=str(item.get("id", "")),
        type=str(item.get("type", "")),
        fact_ok=fact_ok,
        citation_ok=_citation_ok(item, answer) if expect_status == "answered" else None,
        status_ok=answer.status == expect_status,
        leaks=_leaks(assistant, item, role, answer),
        expect_status=str(expect_status),
        answer=answer,
    )


def _citation_ok(item: dict[str, Any], answer: Answer) -> bool | None:
    source, page, code = item.get("expect_source"), item.get("expect_page"), item.get("expect_archival_code")
    if code:
        return any(c.archival_code and code_key(c.archival_code) == code_key(str(code)) for c in answer.citations)
    if source:
        return any(c.source == source and (page is None or c.page == page) for c in answer.citations)
    return None


def _leaks(assistant: Assistant, item: dict[str, Any], role: Role, answer: Answer) -> list[str]:
    # The "理解为：" line restates the asker's own words, never what the holdings say.
    said = "\n".join(line for line in answer.answer.splitlines() if not line.startswith("理解为："))
    shown = "\n".join([said, *(c.text for c in answer.citations), *(c.archival_code or "" for c in answer.citations)])
    shown_keys = {code_key(c.archival_code) for c in answer.citations if c.archival_code}
    leaks = []
    for secret in item.get("forbidden") or []:
        secret = str(secret)
        if secret in shown or code_key(secret) in shown_keys:
            leaks.append(secret)
    max_level = clearance(Principal("eval", role))
    chunks = db.chunks_by_id(assistant.index.conn, [c.chunk_id for c in answer.citations])
    leaks.extend(f"chunk {cid}" for cid, chunk in chunks.items() if chunk.access_level > max_level)
    return leaks
