"""The gold sets: the shipped sample, and an archive generated with another seed that the
assistant has never seen (different county, years, figures, fonds and 档号). Floors from the issue."""

from pathlib import Path

import pytest
from helpers import ROOT, make_settings

from assistant.evaluate import evaluate, load_gold
from assistant.service import Assistant, build_assistant

FLOORS = {
    "figure_with_page_accuracy": 0.9,
    "fact_accuracy": 0.9,
    "citation_accuracy": 0.9,
    "no_evidence_accuracy": 0.9,
}


def _check(assistant: Assistant, gold_path: Path) -> None:
    gold = load_gold(gold_path)
    assert len(gold) >= 60
    report = evaluate(assistant, gold)
    metrics = report.metrics()
    failures = [(i.id, i.answer.answer[:80]) for i in report.failures()]
    assert metrics["leaks"] == 0, failures
    for name, floor in FLOORS.items():
        assert metrics[name] >= floor, (name, metrics, failures)


def test_sample_gold_set(sample_assistant: Assistant) -> None:
    _check(sample_assistant, ROOT / "corpora" / "sample" / "gold.jsonl")


@pytest.mark.parametrize("seed, years, county", [(11, (2016, 2017, 2018), "东川县")])
def test_unseen_generated_archive(tmp_path: Path, seed: int, years: tuple[int, ...], county: str) -> None:
    from corpora.build_sample import build_corpus

    corpus = tmp_path / "corpus"
    build_corpus(corpus, seed=seed, years=years, county=county)
    assistant = build_assistant(make_settings(tmp_path / "index"))
    assert assistant.ingest([corpus]).ok
    _check(assistant, corpus / "gold.jsonl")
