"""Fixtures for the language-model seam: a running fake server and settings pointing at it.

Make them available to a test module with
    from conftest_llm import fake_llm, llm_settings  # noqa: F401
or to every test by putting the same line in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_server import FakeLLMServer

from assistant.models import Chunk, Hit
from assistant.settings import Settings

# A key the tests can look for in error messages: it must never be shown to a user.
TEST_API_KEY = "sk-test-secret-0123456789"


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(model="test-model") as server:
        yield server


@pytest.fixture
def llm_settings(fake_llm: FakeLLMServer, tmp_path: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index",
        llm_base_url=fake_llm.base_url,
        llm_model=fake_llm.model,
        llm_api_key=TEST_API_KEY,
        # Roomy: a busy CI machine must not turn a scripted answer into a timeout; the timeout
        # tests shorten it themselves.
        llm_timeout=15.0,
        llm_max_tokens=256,
    )


def make_hit(
    text: str,
    *,
    source: str = "2023年部门整体支出绩效评价报告.pdf",
    page: int | None = 3,
    fonds: str | None = None,
    code: str | None = None,
    header: str = "《2023年部门整体支出绩效评价报告》2023年 · 二、一般公共预算支出",
    year: int | None = 2023,
) -> Hit:
    """A retrieved chunk built by hand: the LLM tests need no index."""
    chunk = Chunk(
        id=f"chunk-{abs(hash((source, page, code, text)))}",
        source_id="src",
        source_name=source,
        kind="catalogue" if code else "report",
        ordinal=0,
        text=text,
        header=header,
        section="",
        page=page,
        fonds=fonds,
        archival_code=code,
        code_key=code,
        year=year,
        access_level=0,
    )
    return Hit(chunk=chunk, score=1.0)
