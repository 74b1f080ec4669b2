"""Report figures as data and conversation, without a model (issue 13): questions across years,
follow-ups in a chat, `chat --json`, and drafts that keep the figures typed in. The gold sets are
computed from each archive's own figures (corpora/build_followups.py), on the shipped sample and
on an archive generated with another seed, county and years."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import Unseen
from helpers import ROOT
from typer.testing import CliRunner

from assistant.cli import app
from assistant.evaluate import evaluate, load_gold
from assistant.models import Principal, Role
from assistant.service import Assistant
from assistant.text.quantities import quantities

FLOORS = {"fact_accuracy": 0.9, "citation_accuracy": 0.9, "status_accuracy": 0.9}
STAFF = Principal("staff", Role.STAFF)


def _check(assistant: Assistant, path: Path, at_least: int) -> None:
    gold = load_gold(path)
    items = sum(len(g["turns"]) if g["type"] == "conversation" else 1 for g in gold)  # type: ignore[arg-type]
    assert items >= at_least
    report = evaluate(assistant, gold)
    metrics = report.metrics()
    failures = [(i.id, i.answer.question, i.answer.answer[:120]) for i in report.failures()]
    assert metrics["leaks"] == 0, failures
    for name, floor in FLOORS.items():
        assert metrics[name] is not None and metrics[name] >= floor, (name, metrics, failures)


def test_cross_year_questions_on_the_sample(sample_assistant: Assistant) -> None:
    _check(sample_assistant, ROOT / "corpora" / "sample" / "gold_series.jsonl", 30)


def test_conversations_on_the_sample(sample_assistant: Assistant) -> None:
    gold = load_gold(ROOT / "corpora" / "sample" / "gold_conversations.jsonl")
    assert len(gold) >= 10
    _check(sample_assistant, ROOT / "corpora" / "sample" / "gold_conversations.jsonl", 30)


def test_cross_year_questions_on_an_unseen_archive(unseen_archive: Unseen) -> None:
    _check(unseen_archive.assistant, unseen_archive.corpus / "gold_series.jsonl", 30)


def test_conversations_on_an_unseen_archive(unseen_archive: Unseen) -> None:
    _check(unseen_archive.assistant, unseen_archive.corpus / "gold_conversations.jsonl", 30)


def test_chat_json_keeps_the_conversation_through_the_cli(sample_assistant: Assistant) -> None:
    index = str(sample_assistant.settings.index_dir)
    questions = "2022年接待查档多少人次？\n那2023年呢？\n\n出具档案证明多少份？\n"
    result = CliRunner().invoke(app, ["--index-dir", index, "chat", "--json"], input=questions)
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [t["question"] for t in turns] == ["2022年接待查档多少人次？", "那2023年呢？", "出具档案证明多少份？"]
    assert turns[0]["understood_as"] == ""
    assert turns[1]["understood_as"] == "2023年接待查档多少人次？"
    assert turns[2]["understood_as"].startswith("2023年")
    # Each turn carries the ask --json fields, and the follow-ups cite the 2023 report.
    assert {"status", "answer", "citations", "direct_answer"} <= set(turns[1])
    assert all(t["status"] == "answered" for t in turns)
    assert turns[1]["citations"][0]["source"].startswith("2023")
    assert turns[2]["citations"][0]["source"].startswith("2023")


def test_chat_json_as_a_reader_never_shows_a_restricted_record(sample_assistant: Assistant) -> None:
    gold = load_gold(ROOT / "corpora" / "sample" / "gold.jsonl")
    secret = next(g for g in gold if g["type"] == "restricted" and g["role"] == "reader")
    index = str(sample_assistant.settings.index_dir)
    questions = f"{secret['question']}\n它的题名是什么？\n还有吗\n"
    result = CliRunner().invoke(app, ["--index-dir", index, "chat", "--json", "--role", "reader"], input=questions)
    assert result.exit_code == 0, result.output
    turns = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(turns) == 3 and all(t["status"] == "no_evidence" for t in turns)
    title = secret["forbidden"][1]  # type: ignore[index]
    assert title not in result.stdout


_MARK = re.compile(r"【待填：[^】]*】")


def _draft_body(answer: str) -> str:
    """The drafted paragraphs: the lines that end with a citation marker."""
    return "\n".join(line for line in answer.splitlines() if re.search(r"\[\d+\]$", line))


@pytest.mark.parametrize(
    "request_text, figures",
    [
        ("起草{y}年档案查阅利用部分", "全年接待查档1500人次，出具档案证明420份，提供档案6100卷（件）次"),
        ("帮我写{y}年绩效评价报告的档案信息化建设一节", "完成数字化扫描80万页；目录著录52000条"),
        ("起草{y}年度报告基本支出部分", "人员经费210.5万元，公用经费40.2万元"),
    ],
)
def test_a_draft_on_an_unseen_archive_keeps_every_given_figure_and_marks_the_rest(
    unseen_archive: Unseen, request_text: str, figures: str
) -> None:
    year = max(unseen_archive.years) + 1
    answer = unseen_archive.assistant.ask(request_text.format(y=year), STAFF, mode="draft", figures=figures)
    assert answer.status == "answered" and answer.answer.startswith(f"{year}年“")
    body = _draft_body(answer.answer)
    given = [q.text for q in quantities(figures)]
    for figure in given:  # every figure typed in is in the draft, said to be the user's
        assert f"{figure}（用户提供）" in body, (figure, body)
    # The skeleton is last year's section: none of its figures may stay in the draft unmarked.
    skeleton = {q.text for c in answer.citations if c.source.startswith(str(year - 1)) for q in quantities(c.text)}
    assert skeleton
    left = {q.text for q in quantities(_MARK.sub("", body))} - set(given)
    assert not (left & skeleton), (left & skeleton, body)
    assert _MARK.search(body) or set(given) >= skeleton
