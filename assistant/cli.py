"""The command line: `archive-assistant [--index-dir DIR] ingest|ask|eval|doctor|reindex|chat`.

Every command builds settings here, at the edge, and calls the Assistant API. Expected failures
(`AssistantError`) become one sentence on stderr and exit status 1; a command line that cannot
work (an unknown option or value, a year out of range, bytes that are not UTF-8 text) becomes
one Chinese sentence and exit status 2 (`cli_params.ChineseUsage`); never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.answer.citations import where
from assistant.cli_params import ChineseUsage, friendly_errors, utf8_text
from assistant.errors import QuestionError
from assistant.exports_cli import audit_app, feedback_app
from assistant.models import AccessChoice, Answer, Filters, IngestReport, Principal, Role
from assistant.settings import Settings, load_settings
from assistant.users_cli import users_app

if TYPE_CHECKING:
    pass

YEARS = (1, 9999)
MAX_K = 100


app = typer.Typer(
    help="档案助手：县级综合档案馆的检索问答助手。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=ChineseUsage,
)
app.add_typer(users_app, name="users", help="管理网页界面的用户和角色。")
app.add_typer(audit_app, name="audit")
app.add_typer(feedback_app, name="feedback")


class AskMode(StrEnum):
    ASK = "ask"
    DRAFT = "draft"
    ONBOARD = "onboard"


class OpenStatusChoice(StrEnum):
    OPEN = "开放"
    CONTROLLED = "控制使用"
    DELAYED = "延期开放"
    UNREVIEWED = "未审核"


class Classification(StrEnum):
    SECRET = "秘密"
    CONFIDENTIAL = "机密"
    TOP_SECRET = "绝密"


class Kind(StrEnum):
    REPORT = "report"
    GUIDE = "guide"
    CATALOGUE = "catalogue"
    TEXT = "text"


@app.callback()
def main_options(
    ctx: typer.Context,
    index_dir: Annotated[
        Path | None, typer.Option("--index-dir", help="索引目录（默认 $ARCHIVE_ASSISTANT_INDEX_DIR 或用户数据目录）")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="输出调试日志")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = {"index_dir": index_dir}


def _settings(ctx: typer.Context, **overrides: object) -> Settings:
    return load_settings(index_dir=ctx.obj["index_dir"], **overrides)


def _assistant(ctx: typer.Context, settings: Settings):
    """The assistant for one command; a local model server it started stops when the command ends."""
    from assistant.service import build_assistant

    assistant = build_assistant(settings)
    ctx.call_on_close(assistant.close)
    return assistant


@app.command("ingest")
@friendly_errors
def ingest_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="要导入的文件或目录")],
    open_status: Annotated[
        OpenStatusChoice | None,
        typer.Option("--open-status", help="这些报告和扫描件的开放状态（不给则按设置 document_open_status）"),
    ] = None,
    classification: Annotated[
        Classification | None, typer.Option("--classification", help="密级（需同时给出 --open-status）")
    ] = None,
) -> None:
    """导入报告（PDF/DOCX/MD/TXT）和目录（CSV/XLSX），增量且可重复执行。

    --open-status 为这些文件（目录除外：目录按每条的开放状态定级）设定访问级别，已导入且内容未变的文件也随之更新。"""
    if classification is not None and open_status is None:
        raise typer.BadParameter("设定密级时请同时给出开放状态", param_hint="--classification")
    choice = AccessChoice(open_status.value, classification.value if classification else "") if open_status else None
    assistant = _assistant(ctx, _settings(ctx))
    report = assistant.ingest(paths, choice=choice, added_by="命令行" if choice else None)
    _echo_report(report, assistant.status().embedding_warning)


def _echo_report(report: IngestReport, embedding_warning: str | None) -> None:
    for result in report.files:
        if result.status == "failed":
            typer.secho(f"失败：{result.message}", err=True, fg=typer.colors.RED)
        elif result.message:  # OCR confidence warnings, catalogue links of scans
            typer.secho(f"注意：{Path(result.path).name}：{result.message}", err=True, fg=typer.colors.YELLOW)
    ingested = [f for f in report.files if f.status == "ingested"]
    unchanged = [f for f in report.files if f.status == "unchanged"]
    typer.echo(
        f"导入 {len(ingested)} 个文件（{sum(f.chunks for f in ingested)} 个文本块），"
        f"未变化跳过 {len(unchanged)} 个，失败 {len(report.failed)} 个。"
    )
    if embedding_warning:
        typer.secho(f"⚠ {embedding_warning}", err=True, fg=typer.colors.YELLOW)
    if not report.ok:
        raise typer.Exit(1)


@app.command("batch")
@friendly_errors
def batch_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="要批量导入的文件或目录")],
    scheduler: Annotated[
        str,
        typer.Option(
            "--scheduler", help="Dask 调度器地址（如 tcp://10.0.0.9:8786），不填则在本机启动", parser=utf8_text
        ),
    ] = "",
    workers: Annotated[int, typer.Option("--workers", help="本机启动的计算进程数", min=1, max=256)] = 2,
) -> None:
    """批量导入积压档案：文字识别和向量化交给 Dask 集群（需安装 batch 扩展），结果写入同一索引。"""
    from assistant.batch import run_batch

    settings = _settings(ctx)
    batch = run_batch(paths, settings, scheduler, workers)
    typer.echo(f"计算节点 {batch.workers} 个，文字识别 {batch.ocr_files} 个扫描文件。")
    _echo_report(batch.report, batch.embedding_warning)


@app.command("ask")
@friendly_errors
def ask_command(
    ctx: typer.Context,
    questions: Annotated[list[str], typer.Argument(help="一个或多个问题，每个参数一个问题", parser=utf8_text)],
    as_json: Annotated[bool, typer.Option("--json", help="每个问题输出一行 JSON")] = False,
    role: Annotated[Role, typer.Option("--role", help="提问者角色")] = Role.STAFF,
    fonds: Annotated[str | None, typer.Option("--fonds", help="只检索该全宗", parser=utf8_text)] = None,
    year_from: Annotated[int | None, typer.Option("--year-from", help="起始年度", min=YEARS[0], max=YEARS[1])] = None,
    year_to: Annotated[int | None, typer.Option("--year-to", help="截止年度", min=YEARS[0], max=YEARS[1])] = None,
    kind: Annotated[list[Kind] | None, typer.Option("--kind", help="文档类型：report/guide/catalogue/text")] = None,
    k: Annotated[int | None, typer.Option("-k", help="引用的检索结果数", min=1, max=MAX_K)] = None,
    mode: Annotated[AskMode, typer.Option("--mode", help="ask 问答 / draft 起草 / onboard 入门")] = AskMode.ASK,
    figures: Annotated[str, typer.Option("--figures", help="起草时提供的本年度数字", parser=utf8_text)] = "",
    llm_base_url: Annotated[
        str | None, typer.Option("--llm-base-url", help="OpenAI 兼容服务地址", parser=utf8_text)
    ] = None,
    llm_model: Annotated[str | None, typer.Option("--llm-model", help="模型名称", parser=utf8_text)] = None,
) -> None:
    """提问：返回引用出处的回答，或“未找到依据”。"""
    if year_from is not None and year_to is not None and year_from > year_to:
        raise typer.BadParameter(f"起始年度 {year_from} 晚于截止年度 {year_to}", param_hint="--year-from")
    assistant = _assistant(ctx, _settings(ctx, llm_base_url=llm_base_url, llm_model=llm_model))
    warning = assistant.status().embedding_warning
    if warning and not as_json:
        typer.secho(f"⚠ {warning}", err=True, fg=typer.colors.YELLOW)
    principal = Principal(name="cli", role=role)
    filters = Filters(fonds=fonds, year_from=year_from, year_to=year_to, kinds=tuple(item.value for item in kind or ()))
    for question in questions:
        events = assistant.ask_stream(question, principal, filters, k, mode=mode.value, figures=figures)
        streamed = False
        for event in events:
            if isinstance(event, Answer):
                answer = event
            elif not as_json:
                if not streamed:
                    typer.echo(f"问：{question}")
                streamed = True
                typer.echo(event, nl=False)
        if as_json:
            typer.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            typer.echo(render_answer(answer, streamed))


def render_answer(answer: Answer, streamed: bool = False) -> str:
    """The answer for a terminal; after streaming, only what the stream did not show."""
    lines = ["", "—— 核对后的回答 ——", answer.answer] if streamed else [f"问：{answer.question}", answer.answer]
    for c in answer.citations:
        lines.append(f"  [{c.id}] {where(c.source, c.page, c.fonds, c.archival_code)}")
    lines.extend(f"  ⚠ {w}" for w in answer.warnings)
    return "\n".join(lines) + "\n"


@app.command("eval")
@friendly_errors
def eval_command(
    ctx: typer.Context,
    gold: Annotated[Path, typer.Argument(help="评测集（JSONL）")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出指标")] = False,
    show_failures: Annotated[bool, typer.Option("--failures", help="列出未通过的题目")] = False,
) -> None:
    """在评测集上衡量事实、引用、无依据判断和泄密情况。"""
    from assistant.evaluate import evaluate, load_gold

    items = load_gold(gold)
    report = evaluate(_assistant(ctx, _settings(ctx)), items)
    metrics = report.metrics()
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
    else:
        names = {
            "questions": "题目数",
            "fact_accuracy": "事实准确率",
            "citation_accuracy": "引用（页码/档号）准确率",
            "figure_with_page_accuracy": "数字题（数字+页码）准确率",
            "no_evidence_accuracy": "无依据判断准确率",
            "status_accuracy": "状态准确率",
            "leaks": "泄露次数",
        }
        for key, value in metrics.items():
            shown = f"{value:.1%}" if isinstance(value, float) else str(value)
            typer.echo(f"{names[key]:<24}{shown}")
    if show_failures:
        for item in report.failures():
            verdict = f"fact={item.fact_ok} cite={item.citation_ok} status={item.answer.status} leaks={item.leaks}"
            typer.echo(f"✗ {item.id}: {verdict}\n  {item.answer.answer[:160]}", err=True)


@app.command("doctor")
@friendly_errors
def doctor_command(
    ctx: typer.Context,
    fix: Annotated[bool, typer.Option("--repair", help="修复中断导入留下的不一致（SQLite 与向量库）")] = False,
) -> None:
    """检查模型、索引和配置。"""
    from assistant.doctor import diagnose

    settings = _settings(ctx)
    if fix:
        from assistant.index.repair import repair

        for line in repair(_assistant(ctx, settings).index).lines():
            typer.echo(line)
    findings, problems = diagnose(settings)
    for line in findings:
        typer.echo(line)
    for line in problems:
        typer.secho(f"✗ {line}", fg=typer.colors.RED)
    if problems:
        raise typer.Exit(1)


@app.command("reindex")
@friendly_errors
def reindex_command(ctx: typer.Context) -> None:
    """用当前嵌入模型重新计算索引的全部向量（读索引里的文本，不重读源文件；中断后再运行会接着做）。"""
    from assistant.index.reindex import reindex

    report = reindex(_settings(ctx))
    for line in report.lines():
        typer.echo(line)
    if report.fallback_warning:
        typer.secho(f"⚠ {report.fallback_warning}", err=True, fg=typer.colors.YELLOW)


config_app = typer.Typer(help="查看设置：每项的当前值、用途和来源。", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
@friendly_errors
def config_show_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出全部设置：当前值、来源（默认、环境变量、配置文件、命令行）和用途。环境变量名为
    ARCHIVE_ASSISTANT_ 加设置名的大写；配置文件（TOML）由 ARCHIVE_ASSISTANT_CONFIG 指定。"""
    from assistant.settings import describe

    described = describe(_settings(ctx))
    if as_json:
        typer.echo(json.dumps([d.__dict__ for d in described], ensure_ascii=False, indent=1))
        return
    for d in described:
        typer.echo(f"{d.name} = {d.value}  [{d.source}]")
        typer.echo(f"    {d.description}")


@app.command("chat")
@friendly_errors
def chat_command(
    ctx: typer.Context,
    role: Annotated[Role, typer.Option("--role", help="提问者角色")] = Role.STAFF,
    as_json: Annotated[bool, typer.Option("--json", help="从标准输入每行读一个问题，每轮输出一行 JSON")] = False,
) -> None:
    """连续提问，追问（“那2022年呢？”“比上年增加了多少？”）结合上文理解（空行或 Ctrl-D 退出）。

    With --json it reads one question a line from standard input until EOF, keeps the
    conversation, and prints one JSON object a turn (the `ask --json` fields and `understood_as`)."""
    assistant = _assistant(ctx, _settings(ctx))
    if not as_json:
        typer.echo(assistant.status().summary())
    principal = Principal(name="terminal", role=role)
    history: list[tuple[str, str]] = []  # a follow-up is read with the questions before it
    for question in _questions(interactive=not as_json):
        if not question:
            if as_json:
                continue
            break
        try:
            answer = assistant.ask(question, principal, history=history)
        except QuestionError as exc:  # one bad line does not end the conversation
            typer.secho(f"错误：{exc}", err=True, fg=typer.colors.RED)
            continue
        history.append((question, answer.answer))
        typer.echo(json.dumps(answer.to_json(), ensure_ascii=False) if as_json else render_answer(answer))


def _questions(interactive: bool) -> Iterator[str]:
    """Lines typed at the 问> prompt, or read from standard input (--json), stripped."""
    while True:
        try:
            line = input("问> ") if interactive else sys.stdin.readline()
        except EOFError:
            return
        except UnicodeDecodeError:
            typer.secho(
                "错误：输入含有无法识别的字节（不是 UTF-8 编码的文字），请重新输入。", err=True, fg=typer.colors.RED
            )
            continue
        if not interactive and line == "":
            return
        yield line.strip()


def main() -> None:
    app(prog_name="archive-assistant")


if __name__ == "__main__":
    main()
