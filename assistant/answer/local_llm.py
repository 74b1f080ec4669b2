"""A local GGUF model served by llama.cpp's own OpenAI-compatible server (the `xllamacpp` package).

    with LocalModelServer(Path("qwen2.5-7b-instruct-q4_k_m.gguf"), threads=4, context=4096) as server:
        settings = settings.model_copy(update={"llm_base_url": server.base_url, "llm_model": server.model})

Setting `llm_local_model` does this in `build_assistant`: from then on the model is just another
OpenAI-compatible server on loopback, reached by the same LangChain client as Ollama or vLLM.

The server runs in a child process (`python -m assistant.answer.local_llm`), not in ours:
xllamacpp's server installs its own SIGINT/SIGTERM handlers when it starts, which would take
Ctrl+C away from the UI and the CLI, and a crash of the native code then ends only the child.
The child binds port 0 on 127.0.0.1 (the kernel picks a free port), prints the address it
listens on, and lives until its standard input closes: when we stop it, and also when our
process dies in any way, so no orphaned server keeps the model in memory.
Deliberately not handled: several models at once, GPUs (the CPU wheel is what PyPI serves).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

from assistant.errors import ConfigError

log = logging.getLogger(__name__)

_LISTENING = "ARCHIVE_ASSISTANT_LLM_LISTENING "
_FAILED = "ARCHIVE_ASSISTANT_LLM_FAILED "
_INSTALL = "请安装本地模型组件：pip install 'archive-assistant[local-llm]'"


class LocalModelServer:
    """llama.cpp's server for one GGUF file, in a child process on a free loopback port."""

    def __init__(
        self,
        model_path: Path,
        *,
        threads: int = 1,
        context: int = 4096,
        start_timeout: float = 120.0,
        metrics: bool = False,
    ) -> None:
        self.model_path = Path(model_path)
        self.threads = threads
        self.context = context
        self.start_timeout = start_timeout
        self.with_metrics = metrics  # llama.cpp's /metrics (token counts and times), for benchmarks
        self.model = self.model_path.stem  # the name the server answers to (its alias)
        self.base_url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> LocalModelServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> LocalModelServer:
        """Start the server and wait until it answers; a ConfigError says why it could not."""
        check_model_file(self.model_path)
        check_installed()
        config = {
            "model": str(self.model_path),
            "alias": self.model,
            "threads": self.threads,
            "context": self.context,
            "metrics": self.with_metrics,
        }
        # llama.cpp logs every request at length: kept out of the console, read back on failure.
        self._log = tempfile.TemporaryFile(prefix="archive-assistant-llm-")  # noqa: SIM115 - closed by stop()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "assistant.answer.local_llm", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )
        atexit.register(self.stop)
        try:
            address = self._address()
            self.base_url = f"{address}/v1"
            self._wait_until_healthy(address)
        except BaseException:
            self.stop()
            raise
        log.info("local model %s listening on %s", self.model, address)
        return self

    def stop(self) -> None:
        """Close the child's standard input (it then exits), and end it if it does not."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin:
                process.stdin.close()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)

    def metrics(self) -> dict[str, float]:
        """llama.cpp's counters (`llamacpp:prompt_tokens_total` …) by name without the prefix."""
        address = self.base_url.removesuffix("/v1")
        with urllib.request.urlopen(f"{address}/metrics", timeout=10) as response:
            text = response.read().decode("utf-8")
        values = {}
        for line in text.splitlines():
            if line.startswith("llamacpp:"):
                name, _, value = line.partition(" ")
                values[name.removeprefix("llamacpp:")] = float(value)
        return values

    def _address(self) -> str:
        """The address the child printed, waiting at most `start_timeout` for the model to load."""
        assert self._process is not None and self._process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_read_lines, args=(self._process.stdout, lines), daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:  # the child ended
                raise ConfigError(self._failure("进程意外退出"))
            if line.startswith(_LISTENING):
                return line[len(_LISTENING) :].strip()
            if line.startswith(_FAILED):
                raise ConfigError(self._failure(line[len(_FAILED) :].strip()))
        raise ConfigError(
            f"本地模型 {self.model_path.name} 在 {self.start_timeout:g} 秒内没有启动完成：请确认内存足够，"
            "或调大 ARCHIVE_ASSISTANT_LLM_LOCAL_START_TIMEOUT。"
        )

    def _wait_until_healthy(self, address: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{address}/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if not self.running:
                raise ConfigError(self._failure("进程意外退出"))
            time.sleep(0.2)
        raise ConfigError(f"本地模型 {self.model_path.name} 已启动，但没有应答：请查看日志后重试。")

    def _failure(self, reason: str) -> str:
        self._log_tail()
        return (
            f"本地模型 {self.model_path.name} 无法启动（{reason}）：请确认它是 llama.cpp 能加载的 GGUF 文件，"
            "且内存足够；或改用 ARCHIVE_ASSISTANT_LLM_BASE_URL 指向的模型服务。"
        )

    def _log_tail(self) -> None:
        if self._log is None:
            return
        self._log.seek(0)
        tail = self._log.read()[-4000:].decode("utf-8", "replace")
        log.warning("local model server failed; its last log lines:\n%s", tail)


def check_model_file(path: Path) -> None:
    """A readable file that starts like a GGUF model, else a ConfigError naming it."""
    try:
        with path.open("rb") as model:
            magic = model.read(4)
    except FileNotFoundError:
        raise ConfigError(f"本地模型文件不存在：{path}（来自 ARCHIVE_ASSISTANT_LLM_LOCAL_MODEL）") from None
    except OSError as exc:
        raise ConfigError(f"无法读取本地模型文件 {path}：{exc.strerror or exc}") from exc
    if magic != b"GGUF":
        raise ConfigError(f"{path} 不是 GGUF 模型文件：请使用 llama.cpp 格式（.gguf）的模型。")


def check_installed() -> None:
    import importlib.util

    if importlib.util.find_spec("xllamacpp") is None:
        raise ConfigError(f"已设置 ARCHIVE_ASSISTANT_LLM_LOCAL_MODEL，但没有安装 xllamacpp：{_INSTALL}")


def _read_lines(stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
    for raw in stream:
        lines.put(raw.decode("utf-8", "replace"))
    lines.put(None)


# --- the child process -------------------------------------------------------------------------


def _serve(config: dict[str, object]) -> int:
    """Run llama.cpp's server until standard input closes (or SIGTERM / SIGINT arrives)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(config["model"])
    params.model_alias = {str(config["alias"])}
    params.n_ctx = int(config["context"])  # type: ignore[call-overload]
    params.cpuparams.n_threads = int(config["threads"])  # type: ignore[call-overload]
    params.cpuparams_batch.n_threads = int(config["threads"])  # type: ignore[call-overload]
    params.n_parallel = 1  # one request at a time: on a CPU, several only share the same cores
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.verbosity = 2  # warnings and errors; the per-token timing lines are not needed
    params.endpoint_metrics = bool(config.get("metrics"))
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as exc:
        print(_FAILED + str(exc), flush=True)
        return 1
    # The server replaced our signal handlers with its own; ours end the process cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(_LISTENING + server.listening_address, flush=True)
    try:
        sys.stdin.buffer.read()  # returns when the parent closes the pipe or dies
    except KeyboardInterrupt:
        pass
    finally:
        del server  # stops the HTTP server and the decoding loop, frees the model
    return 0


if __name__ == "__main__":
    sys.exit(_serve(json.loads(sys.argv[1])))
