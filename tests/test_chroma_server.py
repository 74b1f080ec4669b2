"""Scale-out on Chroma's own server: with `chroma_url` set the assistant uses HttpClient. The tests
start `chroma run` on loopback and run ingest, idempotency, access and the gold set against it."""

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import READER, ROOT, STAFF, make_settings

from assistant.errors import ConfigError
from assistant.evaluate import evaluate, load_gold
from assistant.service import Assistant, build_assistant


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb package"
    port = _free_port()
    server = subprocess.Popen(
        [
            chroma,
            "run",
            "--path",
            str(tmp_path_factory.mktemp("chroma-server")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("chroma run did not start within 60 s")
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def served(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    assistant = build_assistant(make_settings(tmp_path_factory.mktemp("node-a"), chroma_url=chroma_url))
    assert assistant.ingest([ROOT / "corpora" / "sample"]).ok
    return assistant


def test_vectors_live_on_the_server_and_reingest_is_a_no_op(served: Assistant, chroma_url: str) -> None:
    chunks = served.status().chunks
    assert served.index.collection.count() == chunks
    assert not (served.settings.index_dir / "chroma").exists()
    again = served.ingest([ROOT / "corpora" / "sample"])
    assert {f.status for f in again.files} == {"unchanged"} and served.index.collection.count() == chunks


def test_gold_set_and_access_through_the_server(served: Assistant) -> None:
    metrics = evaluate(served, load_gold(ROOT / "corpora" / "sample" / "gold.jsonl")).metrics()
    assert metrics["leaks"] == 0 and metrics["figure_with_page_accuracy"] >= 0.9  # type: ignore[operator]
    assert served.ask("2022年全年接待了多少查档人次", READER).status == "answered"
    assert served.ask("2022年全年接待了多少查档人次", STAFF).citations[0].page is not None


def test_a_second_node_sees_the_same_vectors(served: Assistant, chroma_url: str, tmp_path: Path) -> None:
    # Another app process shares the server; its SQLite is its own copy of the text store.
    node_b_dir = tmp_path / "node-b"
    shutil.copytree(served.settings.index_dir, node_b_dir)
    node_b = build_assistant(make_settings(node_b_dir, chroma_url=chroma_url))
    assert node_b.index.collection.count() == served.index.collection.count()
    assert "1190" in node_b.ask("2022年全年接待了多少查档人次", STAFF).answer


def test_a_bad_server_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Chroma"):
        build_assistant(make_settings(tmp_path / "idx", chroma_url="ftp://nowhere"))
    with pytest.raises(ConfigError, match="无法连接"):
        build_assistant(make_settings(tmp_path / "idx2", chroma_url=f"http://127.0.0.1:{_free_port()}"))
