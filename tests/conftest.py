"""Shared fixtures: real SQLite, real Chroma, the shipped embedding model, files built here."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from conftest_llm import fake_llm, llm_settings  # noqa: F401
from helpers import ROOT, make_settings

from assistant.service import Assistant, build_assistant

sys.path.insert(0, str(ROOT))  # `corpora.build_sample` imports from the repo root

# The developer's shell may set ARCHIVE_ASSISTANT_* (a model server, an index, a config file):
# the tests run on their own settings only, also in session fixtures built before any test.
for _name in [n for n in os.environ if n.startswith("ARCHIVE_ASSISTANT_")]:
    os.environ.pop(_name)


@pytest.fixture(autouse=True)
def _no_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """What one test set in the environment (outside monkeypatch) does not reach the next."""
    for name in [n for n in os.environ if n.startswith("ARCHIVE_ASSISTANT_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def assistant(tmp_path: Path) -> Assistant:
    return build_assistant(make_settings(tmp_path / "index"))


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The shipped sample corpus, ingested once for the session."""
    index_dir = tmp_path_factory.mktemp("sample-index")
    built = build_assistant(make_settings(index_dir))
    report = built.ingest([ROOT / "corpora" / "sample"])
    assert report.ok, [f.message for f in report.failed]
    return built


@pytest.fixture(scope="session")
def field_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """One county archive as staff meet it: the generated sample and the hand-written field
    documents (government work reports, a 决算, a plan, a neighbouring county's archive)."""
    index_dir = tmp_path_factory.mktemp("field-index")
    built = build_assistant(make_settings(index_dir))
    report = built.ingest([ROOT / "corpora" / "sample", ROOT / "corpora" / "field"])
    assert report.ok, [f.message for f in report.failed]
    return built


@pytest.fixture(scope="session")
def news_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """Short news items in the shape of a public Chinese RAG benchmark."""
    built = build_assistant(make_settings(tmp_path_factory.mktemp("news-index")))
    report = built.ingest([ROOT / "corpora" / "news"])
    assert report.ok, [f.message for f in report.failed]
    return built


@dataclass(frozen=True)
class Unseen:
    assistant: Assistant
    corpus: Path
    years: tuple[int, ...]


@pytest.fixture(scope="session")
def unseen_archive(tmp_path_factory: pytest.TempPathFactory) -> Unseen:
    """An archive generated with another seed, county and years than the shipped sample, which
    the answerer was never tuned on: its gold sets are computed from its own figures."""
    from corpora.build_sample import build_corpus

    root = tmp_path_factory.mktemp("unseen")
    years = (2016, 2017, 2018)
    build_corpus(root / "corpus", seed=11, years=years, county="东川县")
    built = build_assistant(make_settings(root / "index"))
    report = built.ingest([root / "corpus"])
    assert report.ok, [f.message for f in report.failed]
    return Unseen(built, root / "corpus", years)
