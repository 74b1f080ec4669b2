"""The users file: salted hashes, roles, the first admin, and the `users` CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assistant.models import Role
from assistant.settings import load_settings
from assistant.users import ADMIN_NAME, User, UserError, UserStore, ensure_admin, open_users, users_path
from assistant.users_cli import users_app


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return open_users(load_settings(index_dir=tmp_path / "idx"))


def test_users_file_lives_in_the_index_dir(tmp_path: Path) -> None:
    settings = load_settings(index_dir=tmp_path / "idx")
    assert users_path(settings) == tmp_path / "idx" / "users.json"
    assert not users_path(settings).exists()  # nothing is written until a user is added


def test_add_verify_and_role(store: UserStore) -> None:
    store.add_user("王芳", "correct-horse", Role.STAFF)
    store.add_user("reader1", "reader-pass", "reader")

    assert store.verify("王芳", "correct-horse")
    assert not store.verify("王芳", "correct-hors")
    assert not store.verify("王芳", "")
    assert not store.verify("nobody", "correct-horse")
    assert store.role_of("王芳") is Role.STAFF
    assert store.role_of("reader1") is Role.READER
    assert store.role_of("nobody") is None
    assert store.role_of(None) is None
    assert store.list() == [User("reader1", Role.READER), User("王芳", Role.STAFF)]


def test_passwords_are_salted_hashes_in_a_private_file(store: UserStore) -> None:
    store.add_user("a", "same-password", Role.STAFF)
    store.add_user("b", "same-password", Role.STAFF)

    text = store.path.read_text(encoding="utf-8")
    assert "same-password" not in text
    users = json.loads(text)["users"]
    assert users["a"]["salt"] != users["b"]["salt"]
    assert users["a"]["hash"] != users["b"]["hash"]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_refuses_bad_names_passwords_roles_and_duplicates(store: UserStore) -> None:
    store.add_user("staff1", "long-enough", Role.STAFF)
    with pytest.raises(UserError, match="已存在"):
        store.add_user("staff1", "another-pass", Role.ADMIN)
    with pytest.raises(UserError, match="至少"):
        store.add_user("short", "1234567", Role.STAFF)
    with pytest.raises(UserError, match="空格"):
        store.add_user("has space", "long-enough", Role.STAFF)
    with pytest.raises(UserError, match="未知角色"):
        store.add_user("x", "long-enough", "boss")
    assert [u.name for u in store.list()] == ["staff1"]


def test_replace_changes_password_and_role(store: UserStore) -> None:
    store.add_user("staff1", "old-password", Role.STAFF)
    store.add_user("staff1", "new-password", Role.ADMIN, replace=True)
    assert store.verify("staff1", "new-password")
    assert not store.verify("staff1", "old-password")
    assert store.role_of("staff1") is Role.ADMIN


def test_remove(store: UserStore) -> None:
    store.add_user("staff1", "long-enough", Role.STAFF)
    store.remove("staff1")
    assert store.role_of("staff1") is None
    assert not store.verify("staff1", "long-enough")
    with pytest.raises(UserError, match="没有用户"):
        store.remove("staff1")


def test_corrupt_file_is_one_sentence(store: UserStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="无法读取"):
        store.role_of("x")


def test_ensure_admin_only_when_there_are_no_users(store: UserStore) -> None:
    password = ensure_admin(store)
    assert password and len(password) >= 12
    assert store.verify(ADMIN_NAME, password)
    assert store.role_of(ADMIN_NAME) is Role.ADMIN
    assert ensure_admin(store) is None
    assert len(store) == 1


@pytest.fixture
def cli() -> typer.Typer:
    """A root app with the same callback contract as assistant.cli: ctx.obj["index_dir"]."""
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context, index_dir: Path = typer.Option(None, "--index-dir")) -> None:  # noqa: B008
        ctx.obj = {"index_dir": index_dir}

    root.add_typer(users_app, name="users")
    return root


def test_users_cli_add_list_remove(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    index = tmp_path / "idx"
    store = UserStore(index / "users.json")

    result = runner.invoke(
        cli,
        ["--index-dir", str(index), "users", "add", "staff1", "--role", "staff"],
        input="pass-word-1\npass-word-1\n",
    )
    assert result.exit_code == 0, result.output
    assert "已保存用户 staff1（馆员）" in result.output
    assert store.verify("staff1", "pass-word-1")

    result = runner.invoke(
        cli, ["--index-dir", str(index), "users", "add", "r1", "--role", "reader", "--password", "reader-pass"]
    )
    assert result.exit_code == 0, result.output

    result = runner.invoke(cli, ["--index-dir", str(index), "users", "list"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["r1\treader\t读者", "staff1\tstaff\t馆员"]

    result = runner.invoke(cli, ["--index-dir", str(index), "users", "remove", "r1"])
    assert result.exit_code == 0
    assert store.role_of("r1") is None


def test_users_cli_errors_are_one_sentence(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    index = tmp_path / "idx"
    result = runner.invoke(cli, ["--index-dir", str(index), "users", "add", "x", "--password", "short"])
    assert result.exit_code == 1
    assert "错误：密码至少需要 8 个字符" in result.output
    assert "Traceback" not in result.output

    result = runner.invoke(cli, ["--index-dir", str(index), "users", "remove", "ghost"])
    assert result.exit_code == 1
    assert "错误：没有用户 ghost" in result.output

    result = runner.invoke(
        cli,
        ["--index-dir", str(index), "users", "add", "y"],
        input="pass-word-1\nother-word\npass-word-2\npass-word-2\n",
    )
    assert result.exit_code == 0
    assert UserStore(index / "users.json").verify("y", "pass-word-2")


def test_access_tokens_are_stored_as_hashes_and_map_to_unlocked_users(store: UserStore) -> None:
    store.add_user("admin", "admin-pass", Role.ADMIN)
    store.add_user("reader1", "reader-pass", Role.READER)
    assert store.token_created("reader1") is None

    token = store.create_token("reader1")
    assert token.startswith("aat_") and len(token) > 40
    text = store.path.read_text(encoding="utf-8")
    assert token not in text and token[4:] not in text
    record = json.loads(text)["users"]["reader1"]["token"]
    assert set(record) == {"sha256", "created"}
    assert store.token_created("reader1") == record["created"]
    assert store.user_of_token(token) == User("reader1", Role.READER)
    assert store.user_of_token(token + "x") is None
    assert store.user_of_token("reader-pass") is None
    assert store.user_of_token("") is None

    store.set_role("reader1", Role.STAFF)
    assert store.user_of_token(token) == User("reader1", Role.STAFF)
    store.set_locked("reader1", True)
    assert store.user_of_token(token) is None
    store.set_locked("reader1", False)

    again = store.create_token("reader1")
    assert again != token
    assert store.user_of_token(token) is None
    assert store.user_of_token(again) == User("reader1", Role.STAFF)
    assert store.revoke_token("reader1")
    assert not store.revoke_token("reader1")
    assert store.user_of_token(again) is None
    with pytest.raises(UserError, match="没有用户 ghost"):
        store.create_token("ghost")


def test_users_cli_token_create_and_revoke(tmp_path: Path) -> None:
    from assistant.cli import app

    runner = CliRunner()
    index = tmp_path / "idx"
    store = UserStore(index / "users.json")
    store.add_user("reader1", "reader-pass", Role.READER)

    result = runner.invoke(app, ["--index-dir", str(index), "users", "token", "reader1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "用户 reader1（读者）的访问令牌（只显示这一次，请妥善保存）："
    token = lines[1]
    assert store.user_of_token(token) == User("reader1", Role.READER)
    assert token not in store.path.read_text(encoding="utf-8")

    first_made = store.token_created("reader1")
    result = runner.invoke(app, ["--index-dir", str(index), "users", "token", "reader1"])
    assert result.exit_code == 0, result.output
    assert f"（{first_made} 生成的旧令牌已失效）" in result.output
    new = result.output.splitlines()[1]
    assert store.user_of_token(token) is None and store.user_of_token(new) is not None

    result = runner.invoke(app, ["--index-dir", str(index), "users", "token", "reader1", "--revoke"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "已撤销用户 reader1 的访问令牌"
    assert store.user_of_token(new) is None
    result = runner.invoke(app, ["--index-dir", str(index), "users", "token", "reader1", "--revoke"])
    assert result.output.strip() == "用户 reader1 没有访问令牌，无需撤销"

    result = runner.invoke(app, ["--index-dir", str(index), "users", "token", "ghost"])
    assert result.exit_code == 1
    assert "错误：没有用户 ghost" in result.output
    assert "Traceback" not in result.output


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_counts_per_address_and_per_name() -> None:
    from assistant.users import LoginThrottle

    clock = Clock()
    throttle = LoginThrottle(per_address=3, per_name=2, window=60, clock=clock)
    assert [throttle.begin("10.0.0.1", f"name{n}") for n in range(3)] == [True, True, True]
    assert throttle.begin("10.0.0.1", "anyone") is False  # this address is over its limit
    assert throttle.refusal("10.0.0.1", "anyone") == "address"
    assert throttle.begin("10.0.0.2", "anyone") is True  # another address is not

    throttle.begin("10.0.0.3", "admin"), throttle.begin("10.0.0.4", "admin")  # two strangers, one guess each
    assert throttle.begin("10.0.0.5", "admin") is False and throttle.refusal("10.0.0.5", "admin") == "name"
    clock.now += 61
    assert throttle.refusal("10.0.0.5", "admin") is None and throttle.begin("10.0.0.1", "x")  # the window passed


def test_a_name_under_attack_still_opens_from_where_it_logged_in_before() -> None:
    from assistant.users import LoginThrottle

    throttle = LoginThrottle(per_address=10, per_name=2, window=60, clock=Clock())
    assert throttle.begin("192.168.1.10", "admin")
    throttle.succeeded("192.168.1.10", "admin")  # the admin's own desk
    for n in range(5):
        throttle.begin(f"10.9.9.{n}", "admin")  # strangers guessing
    assert throttle.refusal("10.9.9.99", "admin") == "name"
    assert throttle.begin("192.168.1.10", "admin") is True  # never locked out of their own desk


def test_attempts_count_from_the_moment_they_begin() -> None:
    """Guesses sent all at once cannot slip past the limit while the first are still being hashed."""
    from assistant.users import LoginThrottle

    throttle = LoginThrottle(per_address=5, per_name=100, window=60, clock=Clock())
    started = [throttle.begin("10.0.0.1", f"n{n}") for n in range(50)]
    assert started.count(True) == 5


def test_a_stranger_trying_random_names_does_not_grow_the_throttle_for_ever() -> None:
    from assistant.users import LoginThrottle

    clock = Clock()
    throttle = LoginThrottle(per_address=10**9, per_name=5, window=1, clock=clock)
    for n in range(50_000):
        throttle.begin(f"10.0.{n % 250}.{n % 199}", f"random-{n}")
        clock.now += 0.001  # 1,000 guesses a second, each failure counted for one second
    assert len(throttle._by_name) <= 11_000  # aged-out names are forgotten, not kept for ever
