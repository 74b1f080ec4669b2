"""Who may log in to the web UI, and with which role.

Users live in one JSON file, `<index_dir>/users.json`, next to the index whose records they may
see. Passwords are stored as scrypt hashes with a random salt per user and compared in constant
time; an unknown name costs the same hashing work as a wrong password, so timing does not tell
which names exist.

    store = open_users(settings)
    store.add_user("王芳", "s3cret-pass", Role.STAFF)
    store.verify("王芳", "s3cret-pass")   # True
    store.role_of("王芳")                 # Role.STAFF

Deliberately not handled: password changes by the user, lockout after failed attempts, several
processes writing the file at the same moment (writes are atomic, the last one wins).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from assistant.models import Role
from assistant.settings import Settings

MIN_PASSWORD_LENGTH = 8
ADMIN_NAME = "admin"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DUMMY_SALT = bytes(16)


class UserError(AssistantError):
    """A user cannot be added, found or removed as asked."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role


def users_path(settings: Settings) -> Path:
    return settings.index_dir / "users.json"


def open_users(settings: Settings) -> UserStore:
    return UserStore(users_path(settings))


def _hash(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=params["n"], r=params["r"], p=params["p"], dklen=32)


class LoginThrottle:
    """At most `attempts` failed logins per user name in `window` seconds; then every attempt
    fails until the window has passed, whatever the password. Kept in memory: per process."""

    def __init__(self, attempts: int = 5, window: float = 600.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, name: str) -> bool:
        with self._lock:
            recent = self._recent(name)
            return len(recent) >= self.attempts

    def failed(self, name: str) -> None:
        with self._lock:
            self._recent(name).append(time.monotonic())

    def _recent(self, name: str) -> deque[float]:
        recent = self._failures[name]
        while recent and time.monotonic() - recent[0] > self.window:
            recent.popleft()
        return recent


class UserStore:
    """The users file. Every call re-reads it, so `users add` takes effect without a restart."""

    def __init__(self, path: Path, throttle: LoginThrottle | None = None) -> None:
        self.path = path
        self.throttle = throttle or LoginThrottle()

    def _load(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UserError(f"用户文件 {self.path} 无法读取：{exc}") from exc
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise UserError(f"用户文件 {self.path} 格式不对（缺少 users 表）")
        return users

    def _save(self, users: dict[str, dict[str, object]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "users": users}, ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add_user(self, name: str, password: str, role: Role | str, *, replace: bool = False) -> User:
        name = name.strip()
        if not name or len(name) > 64 or any(ch.isspace() for ch in name):
            raise UserError("用户名不能为空、不能含空格，且不超过 64 个字符")
        try:
            role = Role(role)
        except ValueError:
            raise UserError(f"未知角色 {role}（可选 reader、staff、admin）") from None
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
        users = self._load()
        if name in users and not replace:
            raise UserError(f"用户 {name} 已存在")
        salt = secrets.token_bytes(16)
        users[name] = {
            "role": role.value,
            "salt": salt.hex(),
            "hash": _hash(password, salt, _SCRYPT).hex(),
            "scrypt": dict(_SCRYPT),
        }
        self._save(users)
        return User(name, role)

    def remove(self, name: str) -> None:
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        del users[name]
        self._save(users)

    def verify(self, name: str, password: str) -> bool:
        """True when the name exists and the password matches; the Gradio `auth` callable.
        Repeated failures for one name lock it out for a while (see `LoginThrottle`)."""
        name = name.strip()
        if self.throttle.blocked(name):
            return False
        if self._check(name, password):
            return True
        self.throttle.failed(name)
        return False

    def _check(self, name: str, password: str) -> bool:
        record = self._load().get(name)
        if record is None:
            hmac.compare_digest(_hash(password, _DUMMY_SALT, _SCRYPT), bytes(32))
            return False
        try:
            salt = bytes.fromhex(str(record["salt"]))
            stored = bytes.fromhex(str(record["hash"]))
            params = {key: int(record.get("scrypt", _SCRYPT)[key]) for key in ("n", "r", "p")}  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return False
        return hmac.compare_digest(_hash(password, salt, params), stored)

    def role_of(self, name: str | None) -> Role | None:
        record = self._load().get(name or "")
        try:
            return Role(record["role"]) if record else None
        except (KeyError, ValueError):
            return None

    def list(self) -> list[User]:
        users = self._load()
        return [User(name, Role(record["role"])) for name, record in sorted(users.items())]

    def __len__(self) -> int:
        return len(self._load())


def ensure_admin(store: UserStore) -> str | None:
    """Create `admin` with a random password when there are no users; return that password once."""
    if len(store):
        return None
    password = secrets.token_urlsafe(12)
    store.add_user(ADMIN_NAME, password, Role.ADMIN)
    return password
