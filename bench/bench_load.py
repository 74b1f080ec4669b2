"""Load benchmark: simulated people using the running web UI over loopback, the way a browser does.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_load.py --users 20 --seconds 120

Starts `python ui.py --index-dir DIR --port P` as a subprocess over an index of corpora/sample
(built with `archive-assistant --index-dir DIR ingest corpora/sample`; users are written to the
index's users file with `UserStore.add_user` before the app starts), then runs half staff, half
reader accounts concurrently for the given time and writes docs/benchmarks/load.md. Run by hand,
never by the test suite; tests/test_load.py runs the same simulated browser for a few seconds.

How a simulated user talks to the app (no Python handler is called, no gradio_client): the app's
events are registered with `api_visibility="private"`, so there is no named API; the browser
instead calls events by their dependency id. Each user

1. logs in: POST /login (form fields username, password), which sets the auth cookie;
2. opens the page: GET / and GET /config, whose `dependencies` list every event with its id
   (`fn_index`), its `targets` ([component id, event name], the component id is the
   `trigger_id`) and its input and output component ids; the "ask" event is the one whose inputs
   include the textbox with elem_id "question" and whose outputs include the chatbot; a fresh
   random `session_hash` names the tab, which keeps GET /gradio_api/heartbeat/<session_hash> open
   and runs the page's load event;
3. asks: POST /gradio_api/queue/join {data, fn_index, trigger_id, session_hash, event_data}
   returns an event id; GET /gradio_api/queue/data?session_hash=… is a server-sent event stream
   of estimation, process_starts, process_generating (first the full outputs, then diffs) and
   process_completed (the final outputs) messages, closed by close_stream. The chat history sent
   with the next question is the chatbot value the server returned, as in the browser.

Every so many questions a user reloads the page (new tab, new session, empty chat).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "corpora" / "sample" / "gold.jsonl"
NO_EVIDENCE = "没有找到能够回答这个问题的依据"  # part of assistant.models.NO_EVIDENCE_ANSWER

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or imported by the tests
from gradio_browser import (  # noqa: E402
    Browser,
    ProtocolError,
    Reply,
    async_client,
    last_answer,
    last_question,
    shown_text,
)
from measure import percentile, rss_mib  # noqa: E402

# ---- simulated users --------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    expect: tuple[str, ...] = ()  # the answer contains all of these
    no_evidence: bool = False  # the answer is the no-evidence sentence


@dataclass(frozen=True)
class SimUser:
    name: str
    password: str
    role: str  # "staff" or "reader"


@dataclass
class Tally:
    """Everything the simulated users saw, shared by all of them (one event loop, no locks)."""

    latencies: list[float] = field(default_factory=list)  # seconds per answered question
    page_loads: int = 0
    logins: int = 0
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    expected: int = 0  # answers as the question's expectation says
    unexpected: list[str] = field(default_factory=list)
    answers: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    by_kind: Counter[str] = field(default_factory=Counter)


def judge(tally: Tally, user: SimUser, question: Question, reply: Reply, forbidden: Sequence[str]) -> None:
    """Count one reply: error, leak to a reader, answer as expected, and the same answer each time."""
    if not reply.ok:
        tally.errors.append(f"{user.name} {question.text!r}: {reply.error}")
        return
    assert reply.outputs is not None
    tally.latencies.append(reply.seconds)
    tally.by_kind[question.kind] += 1
    if last_question(reply.outputs) != question.text:
        tally.errors.append(f"{user.name} {question.text!r}: the chat ends with {last_question(reply.outputs)!r}")
        return
    answer = last_answer(reply.outputs)
    if user.role == "reader":
        for state in reply.states:
            shown = shown_text(state)
            leaked = [item for item in forbidden if item in shown]
            if leaked:
                tally.leaks.append(f"{user.name} {question.text!r}: {leaked}")
                break
    if (NO_EVIDENCE in answer) == question.no_evidence and all(item in answer for item in question.expect):
        tally.expected += 1
    else:
        tally.unexpected.append(f"{user.role} {question.text!r}: {answer[:80]!r}")
    tally.answers.setdefault((user.role, question.text), Counter())[answer] += 1


async def simulate(
    user: SimUser,
    base_url: str,
    questions: Sequence[Question],
    forbidden: Sequence[str],
    tally: Tally,
    *,
    seconds: float,
    reload_every: int = 10,
    think: float = 0.0,
    max_questions: int = 100_000,
    seed: int = 0,
) -> None:
    """One person: log in, open the page, ask random questions until time is up, reloading now and then."""
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    async with async_client(base_url) as client:
        browser = Browser(client)
        try:
            await browser.login(user.name, user.password)
            tally.logins += 1
            for asked in range(max_questions):
                if time.monotonic() >= deadline:
                    break
                if asked % reload_every == 0:
                    loaded = await browser.open_page()
                    tally.page_loads += 1
                    if not loaded.ok or user.name not in str(loaded.outputs[0] if loaded.outputs else ""):
                        tally.errors.append(f"{user.name} page load: {loaded.error or loaded.outputs}")
                        continue
                question = rng.choice(questions)
                reply = await browser.ask(question.text, via=rng.choice(("click", "submit")))
                judge(tally, user, question, reply, forbidden)
                if think:
                    await asyncio.sleep(rng.uniform(0, 2 * think))
        except (ProtocolError, httpx.HTTPError, ValueError, KeyError) as exc:
            tally.errors.append(f"{user.name}: {type(exc).__name__}: {exc}")
        finally:
            await browser.close_page()


async def run_users(
    base_url: str,
    users: Sequence[SimUser],
    questions: dict[str, Sequence[Question]],
    forbidden: Sequence[str],
    *,
    seconds: float,
    reload_every: int = 10,
    think: float = 0.0,
    seed: int = 1,
) -> Tally:
    tally = Tally()
    await asyncio.gather(
        *(
            simulate(
                user,
                base_url,
                questions[user.role],
                forbidden,
                tally,
                seconds=seconds,
                reload_every=reload_every,
                think=think,
                seed=seed * 1000 + n,
            )
            for n, user in enumerate(users)
        )
    )
    return tally


# ---- the benchmark: questions, users, the server process, memory ---------------------------


def gold_questions() -> tuple[dict[str, list[Question]], list[str]]:
    """Questions per role from the sample's gold set, and what a reader must never be shown.

    Staff ask the staff rows (figures, 档号 lookups, guide, unanswerable, 延期开放 records);
    readers ask the reader rows (restricted records, unanswerable) and the open reports and guide.
    """
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    pools: dict[str, list[Question]] = {"staff": [], "reader": []}
    forbidden: set[str] = set()
    for row in rows:
        question = Question(
            row["question"], row["type"], tuple(row["expect_contains"]), row["expect_status"] == "no_evidence"
        )
        if row["type"] == "restricted":
            forbidden.update(row["forbidden"])
        if row["role"] == "staff":
            pools["staff"].append(question)
        if row["role"] == "reader" or row["type"] in ("figure", "guide"):
            pools["reader"].append(question)
    return pools, sorted(forbidden)


def make_users(count: int) -> list[SimUser]:
    """Half staff, half readers, alternating."""
    users = []
    for n in range(count):
        role = "staff" if n % 2 == 0 else "reader"
        label = "馆员" if role == "staff" else "读者"
        users.append(SimUser(f"{label}{n // 2 + 1:02d}", secrets.token_urlsafe(12), role))
    return users


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False")
    env.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return env


def build_index(index_dir: Path) -> float:
    started = time.perf_counter()
    cli = Path(sys.executable).with_name("archive-assistant")
    subprocess.run(
        [str(cli), "--index-dir", str(index_dir), "ingest", str(ROOT / "corpora" / "sample")],
        check=True,
        env=server_env(),
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def add_users(index_dir: Path, users: Sequence[SimUser]) -> None:
    from assistant.models import Role
    from assistant.users import UserStore

    store = UserStore(index_dir / "users.json")
    for user in users:
        store.add_user(user.name, user.password, Role(user.role), replace=True)


def start_server(index_dir: Path, port: int, log: Path, wait: float = 300.0) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(ROOT / "ui.py"), "--index-dir", str(index_dir), "--host", "127.0.0.1"]
    with log.open("wb") as out:
        proc = subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=server_env(), stdout=out, stderr=out)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ui.py exited with {proc.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2, trust_env=False).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"ui.py did not answer on port {port} within {wait:.0f} s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sample_memory(pid: int, every: float, samples: list[tuple[float, float]], started: float) -> None:
    while True:
        samples.append((time.monotonic() - started, rss_mib("VmRSS", pid)))
        await asyncio.sleep(every)


def slope_mb_per_min(samples: Sequence[tuple[float, float]]) -> float:
    if len(samples) < 3:
        return float("nan")
    return statistics.linear_regression([t for t, _ in samples], [m for _, m in samples]).slope * 60


async def warm_up(base_url: str, user: SimUser, questions: Sequence[Question]) -> list[float]:
    """The first questions after a start, asked by one user before the clock runs; their seconds."""
    async with async_client(base_url) as client:
        browser = Browser(client)
        await browser.login(user.name, user.password)
        await browser.open_page()
        try:
            replies = [await browser.ask(question.text) for question in questions]
        finally:
            await browser.close_page()
    failed = [reply.error for reply in replies if not reply.ok]
    if failed:
        raise ProtocolError(f"warm-up failed: {failed}")
    return [reply.seconds for reply in replies]


@dataclass
class Run:
    """One timed phase of simulated users, with the server's memory and CPU over it."""

    tally: Tally
    seconds: float
    samples: list[tuple[float, float]]  # (seconds since the phase began, server RSS in MB)
    server_cpu: float  # CPU seconds
    client_cpu: float
    loadavg: tuple[float, float]  # the machine's 1-minute load average at start and end

    @property
    def rss(self) -> list[float]:
        return [mb for _, mb in self.samples]

    def trend(self, after: float) -> float:
        """RSS slope in MB/min over the samples taken `after` seconds into the phase."""
        return slope_mb_per_min([(t, mb) for t, mb in self.samples if t >= after])

    def kb_per_page_load(self, after: float) -> float:
        return self.trend(after) / 60 / (self.tally.page_loads / self.seconds) * 1024


async def measure(
    base_url: str, pid: int, users: Sequence[SimUser], seconds: float, every: float, reload_every: int, think: float
) -> Run:
    questions, forbidden = gold_questions()
    samples: list[tuple[float, float]] = []
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    cpu_before = cpu_seconds(pid), time.process_time()
    sampler = asyncio.create_task(sample_memory(pid, every, samples, started))
    tally = await run_users(
        base_url, users, questions, forbidden, seconds=seconds, reload_every=reload_every, think=think
    )
    elapsed = time.monotonic() - started
    server_cpu, client_cpu = cpu_seconds(pid) - cpu_before[0], time.process_time() - cpu_before[1]
    samples.append((elapsed, rss_mib("VmRSS", pid)))
    sampler.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sampler
    return Run(tally, elapsed, samples, server_cpu, client_cpu, (load_before, os.getloadavg()[0]))


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    import gradio

    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({model}), {int(memory) / 1024**2:.0f} GB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}, Gradio {gradio.__version__}"
    )


def report(
    args: argparse.Namespace,
    run: Run,
    probes: dict[str, Run],
    idle: tuple[float, float, float],
    cold: Sequence[float],
    index_seconds: float,
) -> str:
    tally = run.tally
    asks = len(tally.latencies)
    ms = [s * 1000 for s in tally.latencies]
    rss = run.rss
    inconsistent = sorted(f"{role} {text!r}" for (role, text), seen in tally.answers.items() if len(seen) > 1)
    staff = (args.users + 1) // 2  # make_users alternates, staff first
    rows = [
        ("simulated users", f"{args.users} ({staff} staff, {args.users - staff} readers)"),
        ("duration", f"{run.seconds:.1f} s"),
        ("questions answered (requests)", f"{asks}"),
        ("page loads (config + load event)", f"{tally.page_loads}"),
        ("logins", f"{tally.logins}"),
        ("errors", f"{len(tally.errors)}"),
        ("restricted 档号/题名 shown to a reader", f"{len(tally.leaks)}"),
        ("answers as the gold set expects", f"{tally.expected} / {asks}"),
        ("questions whose answer changed between asks", f"{len(inconsistent)}"),
        ("latency p50 (queue/join → process_completed)", f"{statistics.median(ms):.0f} ms" if ms else "-"),
        ("latency p95", f"{percentile(ms, 0.95):.0f} ms"),
        ("latency p99", f"{percentile(ms, 0.99):.0f} ms"),
        ("latency max", f"{max(ms):.0f} ms" if ms else "-"),
        ("throughput", f"{asks / run.seconds:.1f} questions/s"),
        (
            "warm-up: first questions after start (not counted above)",
            " / ".join(f"{s * 1000:.0f}" for s in cold) + " ms",
        ),
        ("server CPU", f"{run.server_cpu:.0f} s in {run.seconds:.0f} s = {run.server_cpu / run.seconds:.2f} cores"),
        ("load generator CPU", f"{run.client_cpu:.0f} s = {run.client_cpu / run.seconds:.2f} cores"),
        ("machine load average (1 min) at start / end", f"{run.loadavg[0]:.1f} / {run.loadavg[1]:.1f}"),
        ("server RSS idle after start / after warm-up", f"{idle[0]:.0f} / {idle[1]:.0f} MB"),
        ("server RSS at start / end / max of the run", f"{rss[0]:.0f} / {rss[-1]:.0f} / {max(rss):.0f} MB"),
        ("server RSS trend, second half of the run", f"{run.trend(run.seconds / 2):+.1f} MB/min"),
        ("server RSS idle 10 s after the run", f"{idle[2]:.0f} MB"),
    ]
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.by_kind.items()))
    lines = [
        f"# Load benchmark: {args.users} simulated users for {args.seconds:.0f} s",
        "",
        f"Machine: {machine()}.",
        "",
        f"Command: `HF_HUB_OFFLINE=1 .venv/bin/python bench/bench_load.py --users {args.users} "
        f"--seconds {args.seconds:.0f}`. The app runs as `python ui.py --index-dir DIR --port P` (one process, "
        f"`CONCURRENCY = 8` events at a time) over an index of corpora/sample built in {index_seconds:.0f} s; "
        "extractive answers (no language model), offline fallback embedding model. The load generator "
        "(one asyncio process, httpx) runs on the same 2 cores.",
        "",
        "Each simulated user logs in through POST /login, loads the page (GET /, GET /config, the heartbeat, "
        "the load event) and asks questions by the browser's own calls: POST /gradio_api/queue/join with the "
        "ask event's `fn_index`, `trigger_id` and the tab's `session_hash`, then the server-sent events of "
        "GET /gradio_api/queue/data until `process_completed`. The chat history goes back with each question, "
        f"as in the browser; every {args.reload_every} questions the user reloads the page (new session). "
        + (
            "There is no think time: each user asks again as soon as an answer arrives, so this is a "
            "saturation test, far harsher than 20 people at their desks."
            if not args.think
            else f"Think time: uniform 0–{2 * args.think:.1f} s between questions."
        ),
        "",
        f"Questions come from corpora/sample/gold.jsonl (asked, by kind: {kinds}): staff ask the staff rows "
        "(figures, 档号 lookups, guide, unanswerable), readers the reader rows (restricted records, unanswerable) "
        "and the open reports and guide. Every state of every reader's page (assistant messages, sources, "
        "citation picker, caption; streamed and final) is checked for the 档号 and titles of all restricted rows.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        f"Server resident memory, sampled every {args.sample_every:g} s during the run "
        "(seconds since the run began → MB):",
        "",
        "| " + " | ".join(f"{t:.0f}" for t, _ in run.samples) + " |",
        "|" + "---|" * len(run.samples),
        "| " + " | ".join(f"{mb:.0f}" for mb in rss) + " |",
        "",
    ]
    if probes:
        lines += [
            f"Where the memory goes: two more phases of {args.probe_seconds:.0f} s each on the same server, "
            "the same users and questions (trend over the samples after the first 5 s):",
            "",
            "| phase | questions | page loads | RSS start → end | trend | per page load |",
            "|---|---|---|---|---|---|",
        ]
        for name, probe in probes.items():
            per_load = probe.kb_per_page_load(5) if probe.tally.page_loads > args.users else float("nan")
            lines.append(
                f"| {name} | {len(probe.tally.latencies)} | {probe.tally.page_loads} | "
                f"{probe.rss[0]:.0f} → {probe.rss[-1]:.0f} MB | {probe.trend(5):+.1f} MB/min | "
                + (f"{per_load:.0f} KB |" if per_load == per_load else "- |")
            )
        lines += [
            "",
            "Gradio keeps a `SessionState` (a copy of the page's component config plus the `gr.State` values) "
            "for every session hash, that is every page load, and drops it only when more than "
            "`state_session_capacity` (10,000 by default, not set by `serve()`) sessions exist; a closed tab "
            "loses only its `gr.State` values after an hour.",
            "",
        ]
        still, reloading = probes.get("no page reloads"), probes.get("a page reload before every question")
        if still and reloading:
            per_question = still.trend(5) / 60 / (len(still.tally.latencies) / still.seconds) * 1024
            lines += [
                f"So memory is not flat under load. Page loads cost about {reloading.kb_per_page_load(5):.0f} KB "
                f"each, held until 10,000 sessions exist (about {reloading.kb_per_page_load(5) * 10_000 / 1024:.0f}"
                f" MB at the cap). Without reloads, the RSS still rose {still.trend(5):+.1f} MB/min at "
                f"{len(still.tally.latencies) / still.seconds:.0f} questions/s, about {per_question:.0f} KB per "
                "question. This run is too short to show whether that part levels off. A real office makes a "
                "few hundred page loads and questions a day, not thousands a minute.",
                "",
            ]
    problems = [
        *(f"- error: {e}" for probe in (run, *probes.values()) for e in probe.tally.errors[:20]),
        *(f"- leak: {e}" for probe in (run, *probes.values()) for e in probe.tally.leaks[:20]),
        *(f"- changed answer: {e}" for e in inconsistent[:20]),
    ]
    if problems:
        lines += ["Problems seen:", "", *problems, ""]
    if tally.unexpected:
        unexpected = Counter(tally.unexpected)
        lines += [
            f"Answers that differ from the gold expectation ({len(unexpected)} distinct; retrieval quality is "
            "measured in docs/benchmarks/baseline.md, here they only show the answers did not change under load):",
            "",
            *[f"- {text} ×{count}" for text, count in unexpected.most_common(10)],
            "",
        ]
    rate = asks / run.seconds
    lines += [
        "Reading the figures: the server process used "
        f"{run.server_cpu / run.seconds:.2f} of the 2 cores; the event handlers run in Python threads under "
        "one interpreter lock, so one `ui.py` process tops out near one core, and that is the ceiling here "
        f"({rate:.1f} questions/s). With no think time the latency is mostly queueing: Little's law gives "
        f"{args.users} users / {rate:.1f} per s ≈ {args.users / rate * 1000:.0f} ms per question, against a "
        f"measured p50 of {statistics.median(ms) if ms else float('nan'):.0f} ms. People who read each answer for "
        f"30 s would send {args.users / 30:.1f} questions/s, about {args.users / 30 / rate:.0%} of this capacity."
        + (
            f" Other work shared the machine during the run (load average {run.loadavg[0]:.1f}–"
            f"{run.loadavg[1]:.1f} on 2 cores), so the figures are on the pessimistic side."
            if max(run.loadavg) > 2.5
            else ""
        ),
        "",
        "## Route protection",
        "",
        "tests/test_load.py checks the running app over loopback. Without a login, the main page holds only "
        "the login form (no components, no events, no API info, also with `?all_endpoints=true`), and "
        "/config, /gradio_api/info, /gradio_api/openapi.json, queue/join, queue/data, queue/status, run/… and "
        "call/…, /gradio_api/upload, upload_progress, component_server, deep_link, proxy=…, /monitoring and "
        "the file routes (`file=…` GET and HEAD, `file/…`) for the users file, the SQLite index, the source PDF "
        "and a staff member's exported answer all answer 401; a wrong password gets 400 and no cookie; a "
        "made-up or logged-out cookie gets 401. A logged-in reader gets 403 on the file route for the source "
        "PDF, users.json and every file under the index directory, and the upload event refuses them.",
        "",
        "Left open by Gradio itself (checked to reveal no record, user or page layout): GET "
        "/gradio_api/heartbeat/{session_hash}, POST /gradio_api/cancel, /gradio_api/reset, "
        "/gradio_api/stream/{event_id} and …/close, GET /gradio_api/user, /gradio_api/token, "
        "/gradio_api/app_id, /gradio_api/startup-events, /manifest.json, /theme.css. Heartbeat, cancel and "
        "stream act on a session hash or event id, which only the tab that made them knows.",
        "",
        "Per role and per session (assistant/ui/guard.py, tests/test_ui_security.py): POST /gradio_api/upload "
        "from a reader gets 403 before a byte is stored, and the upload event takes only files its own session "
        "uploaded; exports and page images are private files served only to the login session that made them "
        "(403 for anyone else) and deleted at logout or after 30 minutes; Gradio's cached copy of an upload is "
        "deleted once ingested; failed logins are throttled per address and per name; a login ends after 30 "
        "minutes idle or 10 hours in all (settings), and its cookie then gets 401.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--index-dir", type=Path, help="reuse this index (ingest is re-run; unchanged files skip)")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--reload-every", type=int, default=10, help="questions per page load")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between questions")
    parser.add_argument(
        "--probe-seconds", type=float, default=45.0, help="then this long without reloads and with one per question"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "load.md")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 3600 or not 0 <= args.probe_seconds <= 600:
        parser.error("--users 1..200, --seconds 1..3600, --probe-seconds 0..600")

    scratch = Path(tempfile.mkdtemp(prefix="bench-load-"))
    index_dir = args.index_dir or scratch / "index"
    port = args.port or free_port()
    base_url = f"http://127.0.0.1:{port}/"
    users = make_users(args.users)
    proc = None
    try:
        print(f"ingest corpora/sample into {index_dir} …", flush=True)
        index_seconds = build_index(index_dir)
        add_users(index_dir, users)
        print(f"starting ui.py on 127.0.0.1:{port} …", flush=True)
        proc = start_server(index_dir, port, scratch / "ui.log")
        time.sleep(args.sample_every)
        idle_cold = rss_mib("VmRSS", proc.pid)
        questions, _ = gold_questions()
        cold = asyncio.run(warm_up(base_url, users[0], questions[users[0].role][:5]))
        idle_warm = rss_mib("VmRSS", proc.pid)

        def phase(seconds: float, every: float, reload_every: int) -> Run:
            run = asyncio.run(measure(base_url, proc.pid, users, seconds, every, reload_every, args.think))
            if proc.poll() is not None:
                raise RuntimeError(f"ui.py died during the run with {proc.returncode}")
            return run

        print(f"{args.users} users for {args.seconds:.0f} s …", flush=True)
        run = phase(args.seconds, args.sample_every, args.reload_every)
        time.sleep(10)
        idle_after = rss_mib("VmRSS", proc.pid)
        probes = {}
        if args.probe_seconds:
            print(f"memory probes, 2 × {args.probe_seconds:.0f} s …", flush=True)
            probes["no page reloads"] = phase(args.probe_seconds, 2.5, 1_000_000)
            probes["a page reload before every question"] = phase(args.probe_seconds, 2.5, 1)
        text = report(args, run, probes, (idle_cold, idle_warm, idle_after), cold, index_seconds)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(scratch, ignore_errors=True)  # the log, and the index unless --index-dir
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(text)
    failed = any(r.tally.errors or r.tally.leaks for r in (run, *probes.values()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
