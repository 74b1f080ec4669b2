"""What the CLI's command groups share: usage errors in Chinese, and text that must be UTF-8.

    app = typer.Typer(cls=ChineseUsage)
    name: Annotated[str, typer.Argument(parser=utf8_text)]

Click words its usage errors in English and prints a usage block above them; `ChineseUsage`
prints one Chinese sentence instead (exit status 2, click's status for usage errors), rebuilt
from the error's parts (which option, which type), or our own sentence where a command raised
`typer.BadParameter` itself.
"""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable, Sequence
from enum import Enum
from functools import wraps
from typing import Any, TypeVar

import typer
from typer.core import TyperGroup

from assistant.errors import AssistantError


class ChineseUsage(TyperGroup):
    """Usage errors (English, under a usage block) as one Chinese sentence, exit status 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name, complete_var, standalone_mode=False, windows_expand_args=windows_expand_args, **extra
            )
        except typer.TyperException as exc:  # typer's copy of click's ClickException and its kin
            if _kind(exc) == "NoArgsIsHelpError":  # a bare command: the help is the answer
                ctx = getattr(exc, "ctx", None)
                typer.echo(ctx.get_help() if ctx else "", err=True)
                sys.exit(2)
            usage = _kind(exc) in _USAGE_ERRORS or isinstance(exc, typer.BadParameter)
            text = f"{usage_message(exc)}（用 --help 查看用法）" if usage else exc.format_message()
            typer.secho(f"错误：{text}", err=True, fg=typer.colors.RED)
            sys.exit(2 if usage else exc.exit_code)
        except typer.Abort:
            typer.secho("已取消。", err=True)
            sys.exit(1)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


_USAGE_ERRORS = {"UsageError", "BadParameter", "MissingParameter", "NoSuchOption", "BadOptionUsage", "BadArgumentUsage"}


def usage_message(exc: typer.TyperException) -> str:
    """One Chinese sentence for a usage error; ours already are one, typer's are rebuilt from
    their parts (which option, which type, which range)."""
    param = getattr(exc, "param", None)
    hint = _hint(param)
    if _kind(exc) == "NoSuchOption":
        return f"没有选项 {getattr(exc, 'option_name', '')}"
    if _kind(exc) == "MissingParameter":
        return f"缺少{hint or '必需的参数'}"
    if not isinstance(exc, typer.BadParameter):
        return f"命令行有误：{exc.format_message()}"
    if param is None:  # raised by a command itself, in Chinese
        named = getattr(exc, "param_hint", None)
        return f"选项 {named}：{exc.message}" if isinstance(named, str) else exc.message
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    choices = _enum_of(annotation)
    if choices is not None:
        return f"{hint} 只能是 {'、'.join(str(member.value) for member in choices)}"
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if low is not None and high is not None:
        return f"{hint} 应是 {low} 到 {high} 之间的整数"
    if annotation is int:
        return f"{hint} 应是整数"
    return f"{hint}：{exc.message}"


def utf8_text(value: str) -> str:
    """Text that must be real characters (a typer `parser`): bytes in argv that are not UTF-8
    (Python keeps them as lone surrogates) would fail later, deep inside, when stored or printed."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise typer.BadParameter("含有无法识别的字节（不是 UTF-8 编码的文字），请检查终端或脚本的编码") from None
    return value


def _kind(exc: BaseException) -> str:
    return type(exc).__name__


def _hint(param: Any) -> str:
    if param is None:
        return ""
    if getattr(param, "param_type_name", "") == "argument":
        return f"参数 {str(param.name).upper()}"
    return f"选项 {param.opts[0]}"


def _enum_of(annotation: Any) -> type[Enum] | None:
    """The Enum in an annotation such as `Role`, `list[Kind]` or `Kind | None`."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for inner in typing.get_args(annotation):
        found = _enum_of(inner)
        if found is not None:
            return found
    return None


F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(command: F) -> F:
    """The command, with a domain error (`AssistantError`) shown as one red sentence and exit 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AssistantError as exc:
            typer.secho(f"错误：{exc}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]
