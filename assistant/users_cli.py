"""`archive-assistant users add|list|remove|token`: the accounts of the web UI, and the access
tokens of programs that act for them (the MCP tools, `assistant/ui/mcp_tools.py`).

Registered in cli.py with `app.add_typer(users_app, name="users")`; the index directory comes
from the main callback (`ctx.obj["index_dir"]`), because users belong to one index.
"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from assistant.cli_params import utf8_text
from assistant.errors import AssistantError
from assistant.models import Role
from assistant.settings import load_settings
from assistant.users import UserStore, open_users

users_app = typer.Typer(help="管理网页界面的用户（reader 读者 / staff 馆员 / admin 管理员）。", no_args_is_help=True)

ROLE_NAMES = {Role.READER: "读者", Role.STAFF: "馆员", Role.ADMIN: "管理员"}


def _store(ctx: typer.Context) -> UserStore:
    index_dir = (ctx.obj or {}).get("index_dir")
    try:
        return open_users(load_settings(index_dir=index_dir))
    except AssistantError as exc:
        _fail(exc)


def _fail(exc: AssistantError) -> NoReturn:
    typer.secho(f"错误：{exc}", err=True, fg=typer.colors.RED)
    raise typer.Exit(1)


@users_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="用户名", parser=utf8_text)],
    role: Annotated[Role, typer.Option("--role", help="角色")] = Role.STAFF,
    password: Annotated[
        str | None, typer.Option("--password", help="密码（供脚本使用；不给则提示输入两次）", parser=utf8_text)
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="用户已存在时重设其密码和角色")] = False,
) -> None:
    """添加用户（或用 --replace 重设密码）。"""
    store = _store(ctx)
    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        user = store.add_user(name, password, role, replace=replace)
    except AssistantError as exc:
        _fail(exc)
    typer.echo(f"已保存用户 {user.name}（{ROLE_NAMES[user.role]}）：{store.path}")


@users_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """列出用户及其角色。"""
    store = _store(ctx)
    try:
        users = store.list()
    except AssistantError as exc:
        _fail(exc)
    if not users:
        typer.echo("还没有用户。")
    for user in users:
        typer.echo(f"{user.name}\t{user.role.value}\t{ROLE_NAMES[user.role]}")


@users_app.command("remove")
def remove_command(ctx: typer.Context, name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """删除用户（已登录的会话在下一次操作时失去权限）。"""
    store = _store(ctx)
    try:
        store.remove(name)
    except AssistantError as exc:
        _fail(exc)
    typer.echo(f"已删除用户 {name}")


@users_app.command("token")
def token_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="用户名", parser=utf8_text)],
    revoke: Annotated[bool, typer.Option("--revoke", help="撤销该用户的令牌")] = False,
) -> None:
    """为用户生成供其他程序（MCP）使用的访问令牌（旧令牌随即失效），或用 --revoke 撤销。"""
    store = _store(ctx)
    try:
        if revoke:
            had = store.revoke_token(name)
            typer.echo(f"已撤销用户 {name} 的访问令牌" if had else f"用户 {name} 没有访问令牌，无需撤销")
            return
        replaced = store.token_created(name)
        token = store.create_token(name)
        user = next(u for u in store.list() if u.name == name)
    except AssistantError as exc:
        _fail(exc)
    typer.echo(f"用户 {name}（{ROLE_NAMES[user.role]}）的访问令牌（只显示这一次，请妥善保存）：")
    typer.echo(token)
    if replaced:
        typer.echo(f"（{replaced} 生成的旧令牌已失效）")
    if user.locked:
        typer.echo("注意：该账号已锁定，解锁之前令牌不能使用。")
