"""Shared fixtures: real SQLite, real Chroma, the shipped embedding model, files built here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from conftest_llm import fake_llm, llm_settings  # noqa: F401
from helpers import ROOT, make_settings

from assistant.service import Assistant, build_assistant

sys.path.insert(0, str(ROOT))  # `corpora.build_sample` imports from the repo root


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
