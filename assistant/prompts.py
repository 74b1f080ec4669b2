"""Prompt templates: plain-text files in `prompts/`, checked for their placeholders when loaded.

A file is a system message and a human message, each introduced by a line that is exactly
`[system]` or `[human]`; a file with neither line is one human message. Placeholders use
`{name}`; a literal brace is written `{{` or `}}`. `{no_evidence}` is filled in here with
`NO_EVIDENCE_ANSWER`, so the sentence stays defined once. A missing or unknown placeholder is a
`ConfigError` naming the file, raised on load rather than in front of a user mid-answer.
Where the files are found: `default_prompts_dir`.
"""

from __future__ import annotations

from pathlib import Path
from string import Formatter
from typing import Literal, get_args

from langchain_core.prompts import ChatPromptTemplate

from assistant.errors import ConfigError
from assistant.models import NO_EVIDENCE_ANSWER

Mode = Literal["ask", "draft", "onboard"]
PromptName = Literal["ask", "draft", "onboard", "condense"]

MODES: tuple[Mode, ...] = get_args(Mode)
REQUIRED: dict[str, frozenset[str]] = {
    "ask": frozenset({"question", "context", "no_evidence"}),
    "draft": frozenset({"question", "context", "figures"}),
    "onboard": frozenset({"question", "context"}),
    "condense": frozenset({"history", "question"}),
}
# Allowed but not required: filled in by the loader, not by the caller.
OPTIONAL: frozenset[str] = frozenset({"no_evidence"})
_SECTIONS = {"[system]": "system", "[human]": "human"}


def default_prompts_dir() -> Path:
    """The templates shipped with the package, else the repository's `prompts/`.

    `prompts/` at the top of the repository is where the templates are kept and edited; a wheel
    carries them as `assistant/prompt_templates/` (setup.py maps that package to `prompts/`), so an
    installed copy finds them beside its own code. A source checkout or editable install has no
    such folder and reads `prompts/` directly. The `prompts_dir` setting overrides both."""
    packaged = Path(__file__).parent / "prompt_templates"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "prompts"


def load_prompt(name: PromptName, prompts_dir: Path | None = None) -> ChatPromptTemplate:
    """`prompts_dir/<name>.txt` as a ChatPromptTemplate whose inputs are exactly REQUIRED[name]."""
    if name not in REQUIRED:
        raise ConfigError(f"未知的提示词模板：{name}（可用：{'、'.join(REQUIRED)}）")
    path = (prompts_dir or default_prompts_dir()) / f"{name}.txt"
    messages = _messages(path, _read(path))
    _check_placeholders(path, name, messages)
    template = ChatPromptTemplate.from_messages(messages)
    if "no_evidence" in template.input_variables:
        template = template.partial(no_evidence=NO_EVIDENCE_ANSWER)
    return template


def validate_prompts(prompts_dir: Path | None = None) -> None:
    """Load every template once, so a broken file is reported at start-up (`doctor`, settings)."""
    for name in get_args(PromptName):
        load_prompt(name, prompts_dir)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"提示词模板不存在：{path}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"提示词模板不是 UTF-8 编码：{path}") from exc
    except OSError as exc:
        raise ConfigError(f"无法读取提示词模板 {path}：{exc.strerror}") from exc


def _messages(path: Path, text: str) -> list[tuple[str, str]]:
    """Split the file at its `[system]` / `[human]` lines into (role, template) pairs."""
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        role = _SECTIONS.get(line.strip().lower())
        if role:
            sections.append((role, []))
        elif sections:
            sections[-1][1].append(line)
        elif line.strip():
            sections.append(("human", [line]))  # no section line before text: one human message
    messages = [(role, "\n".join(lines).strip()) for role, lines in sections]
    roles = [role for role, _ in messages]
    if roles.count("human") != 1 or roles.count("system") > 1 or roles[-1] != "human":
        raise ConfigError(f"提示词模板 {path} 的结构不对：应为可选的一段 [system]，然后一段 [human]")
    if any(not body for _, body in messages):
        raise ConfigError(f"提示词模板 {path} 有空的段落")
    return messages


def _check_placeholders(path: Path, name: str, messages: list[tuple[str, str]]) -> None:
    found: set[str] = set()
    for _, body in messages:
        try:
            found.update(field for _, field, _, _ in Formatter().parse(body) if field is not None)
        except ValueError as exc:
            raise ConfigError(f"提示词模板 {path} 的花括号不成对（字面花括号请写成 {{{{ 或 }}}}）") from exc
    required = REQUIRED[name]
    missing = sorted(required - found)
    unknown = sorted(found - required - OPTIONAL)
    if missing:
        raise ConfigError(f"提示词模板 {path} 缺少占位符：{'、'.join('{' + m + '}' for m in missing)}")
    if unknown:
        shown = "、".join("{" + u + "}" for u in unknown)
        allowed = "、".join("{" + a + "}" for a in sorted(required | OPTIONAL))
        raise ConfigError(f"提示词模板 {path} 有未知的占位符：{shown}（可用：{allowed}）")
