"""Serve the 档案助手 web UI: `python ui.py [--index-dir DIR] [--host H] [--port P]`.

Builds the settings and the assistant once, creates the first admin account when there are no
users (its password is shown once, here), and serves the app behind the login.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from assistant.errors import AssistantError
from assistant.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="档案助手网页界面")
    parser.add_argument("--index-dir", type=Path, help="索引目录（默认 $ARCHIVE_ASSISTANT_INDEX_DIR 或用户数据目录）")
    parser.add_argument("--host", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, help="端口（默认 7860）")
    parser.add_argument("--verbose", "-v", action="store_true", help="输出调试日志")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        from assistant.users import ensure_admin, open_users

        settings = load_settings(index_dir=args.index_dir, host=args.host, port=args.port)
        users = open_users(settings)
        password = ensure_admin(users)
        if password:
            print(f"已创建管理员账号 admin，初始密码：{password}")
            print("（密码只显示这一次；用 `archive-assistant users add` 添加其他用户）", flush=True)

        from assistant.service import build_assistant
        from assistant.ui.app import MCP_PATH, build_app, serve

        assistant = build_assistant(settings)
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    warning = assistant.status().embedding_warning
    if warning:
        print(f"⚠ {warning}", file=sys.stderr)
    print(f"档案助手：http://{settings.host}:{settings.port}  （索引 {settings.index_dir}）", flush=True)
    if settings.mcp_enabled:
        print(
            f"MCP 服务：http://{settings.host}:{settings.port}{MCP_PATH}"
            "  （凭 `archive-assistant users token 用户名` 生成的令牌访问）",
            flush=True,
        )
    try:
        serve(build_app(assistant, users))
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
