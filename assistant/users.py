"""Who may log in to the web UI, and with which role.

Users live in one JSON file, `<index_dir>/users.json`, next to the index whose records they may
see. Passwords are stored as scrypt hashes with a random salt per user and compared in constant
time; an unknown name costs the same hashing work as a wrong password, so timing does not tell
which names exist.

    store = open_users(settings)
    store.add_user("王芳", "s3cret-pass", Role.STAFF)
    store.verify("王芳", "s3cret-pass")   # True
    store.role_of("王芳")                 # Role.STAFF

Failed logins are throttled by `LoginThrottle`, per client address and per name.

Programs (MCP clients, `assistant/ui/mcp_tools.py`) cannot fill in the login form; they send a
personal access token instead. Each user has at most one: `create_token` makes a new one (the old
one stops working), returns it once and keeps only its SHA-256 and the time it was made;
`revoke_token` removes it. A token is 32 random bytes, so a fast hash is enough: there is nothing
to guess that a slow one would protect. `user_of_token` maps a token to its user, and to nobody
when the token is unknown or revoked or the account is locked or removed.

    token = store.create_token("王芳")   # shown to the administrator once
    store.user_of_token(token)           # User("王芳", Role.STAFF)

An administrator can change a role, reset a password and lock an account (the admin page of the
web UI); a locked account cannot log in, and an open session of it fails on its next event. The
last unlocked admin can be neither demoted nor locked.

Deliberately not handled: password changes by the user, several processes writing the file at
the same moment (writes are atomic, the last one wins).
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from assistant.errors import AssistantError
from assistant.models import Role
from assistant.settings import Settings

MIN_PASSWORD_LENGTH = 8
ADMIN_NAME = "admin"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_DUMMY_SALT = bytes(16)
_MAX_TRUSTED = 20  # addresses remembered per name
_PRUNE_AT = 10_000  # names and addresses counted before the aged-out ones are forgotten
TOKEN_PREFIX = "aat_"  # says what the secret is when it turns up in a config file or a log


class UserError(AssistantError):
    """A user cannot be added, found or removed as asked."""


class UserRecord(TypedDict, total=False):
    """One account as stored in the file. Read back from JSON, so the values are only as sound as
    the file: `verify` and `role_of` treat a missing or malformed field as a failed check."""

    role: str
    salt: str  # hex
    hash: str  # hex scrypt digest
    scrypt: dict[str, int]  # n, r, p
    locked: bool
    token: dict[str, str]  # sha256 of the access token for programs (MCP), created (UTC)


Users = dict[str, UserRecord]


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    locked: bool = False


def users_path(settings: Settings) -> Path:
    return settings.index_dir / "users.json"


def open_users(settings: Settings) -> UserStore:
    return UserStore(users_path(settings))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _hash(password: str, salt: bytes, params: dict[str, int]) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=params["n"], r=params["r"], p=params["p"], dklen=32)


class LoginThrottle:
    """How many failed logins an address and a name may have before further tries are refused.

    Counted over a sliding `window` of seconds, in memory (per process), by the web guard, which
    knows the client's address (`assistant/ui/guard.py`):

    - an address with `per_address` failures is refused whatever name it tries, so one machine
      cannot guess its way through the users;
    - a name with `per_name` failures is refused to every address that has not logged in as that
      name before (in this process), so guessing from many machines stops too, while the real
      user's own machine is never locked out by a stranger; once the failures age out of the
      window, a new machine may try again.

    Every attempt counts as a failure from the moment it begins (`begin`); `succeeded` takes it back.
    So attempts sent all at once cannot slip past the limit while their passwords are being checked.

        throttle = LoginThrottle(per_address=10, per_name=5, window=600)
        if throttle.begin("10.0.0.7", "admin"):
            ok = store.verify("admin", password)
            if ok:
                throttle.succeeded("10.0.0.7", "admin")
    """

    def __init__(
        self,
        per_address: int = 10,
        per_name: int = 5,
        window: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_address = per_address
        self.per_name = per_name
        self.window = window
        self.clock = clock
        self._by_address: dict[str, deque[float]] = defaultdict(deque)
        self._by_name: dict[str, deque[float]] = defaultdict(deque)
        self._trusted: dict[str, set[str]] = defaultdict(set)  # name → addresses it logged in from
        self._lock = threading.Lock()

    def refusal(self, address: str, name: str) -> str | None:
        """Why a login from `address` as `name` would be refused now, or None."""
        with self._lock:
            return self._refusal(address, name, self.clock())

    def begin(self, address: str, name: str) -> bool:
        """Count an attempt; False (and nothing counted) when it is refused."""
        with self._lock:
            now = self.clock()
            if len(self._by_name) + len(self._by_address) > _PRUNE_AT:
                self._prune(now)
            if self._refusal(address, name, now) is not None:
                return False
            self._by_address[address].append(now)
            if address not in self._trusted.get(name, ()):
                self._by_name[name].append(now)
            return True

    def succeeded(self, address: str, name: str) -> None:
        """The attempt was right: forget this address's failures and trust it for this name."""
        with self._lock:
            self._by_address.pop(address, None)
            trusted = self._trusted[name]
            recent = self._by_name.get(name)
            if recent and address not in trusted:
                recent.pop()  # the attempt `begin` counted against the name
            if len(trusted) >= _MAX_TRUSTED:
                trusted.pop()
            trusted.add(address)

    def _refusal(self, address: str, name: str, now: float) -> str | None:
        if len(self._recent(self._by_address, address, now)) >= self.per_address:
            return "address"
        if address not in self._trusted.get(name, ()) and len(self._recent(self._by_name, name, now)) >= self.per_name:
            return "name"
        return None

    def _prune(self, now: float) -> None:
        """Forget every name and address whose failures have all aged out."""
        for table in (self._by_name, self._by_address):
            for key in list(table):
                self._recent(table, key, now)

    def _recent(self, table: dict[str, deque[float]], key: str, now: float) -> deque[float]:
        recent = table.get(key)
        if recent is None:
            return deque()
        while recent and now - recent[0] > self.window:
            recent.popleft()
        if not recent:
            del table[key]  # a stranger trying random names must not grow the table for ever
        return recent


class UserStore:
    """The users file. Every call re-reads it, so `users add` takes effect without a restart."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> Users:
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

    def _save(self, users: Users) -> None:
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

    def set_role(self, name: str, role: Role | str) -> User:
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        try:
            role = Role(role)
        except ValueError:
            raise UserError(f"未知角色 {role}（可选 reader、staff、admin）") from None
        if role is not Role.ADMIN and self._last_admin(users, name):
            raise UserError("至少要保留一个未锁定的管理员账号。")
        users[name]["role"] = role.value
        self._save(users)
        return User(name, role)

    def reset_password(self, name: str, password: str | None = None) -> str:
        """Give the user a new password (a random one when none is given) and return it."""
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        password = password or secrets.token_urlsafe(12)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符")
        salt = secrets.token_bytes(16)
        record = users[name]
        record["salt"], record["hash"] = salt.hex(), _hash(password, salt, _SCRYPT).hex()
        record["scrypt"] = dict(_SCRYPT)
        self._save(users)
        return password

    def set_locked(self, name: str, locked: bool) -> None:
        """Lock (no login, and every event of an open session fails) or unlock an account."""
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        if locked and self._last_admin(users, name):
            raise UserError("至少要保留一个未锁定的管理员账号。")
        users[name]["locked"] = bool(locked)
        self._save(users)

    @staticmethod
    def _last_admin(users: Users, name: str) -> bool:
        """Whether `name` is the only unlocked admin (who must stay one, or nobody can manage users)."""
        admins = [n for n, r in users.items() if r.get("role") == Role.ADMIN.value and not r.get("locked")]
        return admins == [name]

    def is_locked(self, name: str) -> bool:
        record = self._load().get(name)
        return bool(record and record.get("locked"))

    def remove(self, name: str) -> None:
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        del users[name]
        self._save(users)

    def verify(self, name: str, password: str) -> bool:
        """True when the name exists and the password matches. About 50 ms of scrypt work: the web
        UI runs it in a worker thread behind a `LoginThrottle` (assistant/ui/guard.py)."""
        record = self._load().get(name.strip())
        if record is None or record.get("locked"):  # a locked account costs the same work as an unknown one
            hmac.compare_digest(_hash(password, _DUMMY_SALT, _SCRYPT), bytes(32))
            return False
        try:
            salt = bytes.fromhex(str(record["salt"]))
            stored = bytes.fromhex(str(record["hash"]))
            params = {key: int(record.get("scrypt", _SCRYPT)[key]) for key in ("n", "r", "p")}
        except (KeyError, TypeError, ValueError):
            return False
        return hmac.compare_digest(_hash(password, salt, params), stored)

    def create_token(self, name: str) -> str:
        """A new access token for programs acting as `name` (it replaces the user's old one);
        returned once, only its hash is kept."""
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        users[name]["token"] = {"sha256": _token_hash(token), "created": created}
        self._save(users)
        return token

    def revoke_token(self, name: str) -> bool:
        """Remove the user's access token; False when there was none."""
        users = self._load()
        if name not in users:
            raise UserError(f"没有用户 {name}")
        had = users[name].pop("token", None) is not None
        if had:
            self._save(users)
        return had

    def token_created(self, name: str) -> str | None:
        """When the user's access token was made (UTC, ISO), or None when there is none."""
        token = (self._load().get(name) or {}).get("token")
        return str(token.get("created")) if isinstance(token, dict) else None

    def user_of_token(self, token: str) -> User | None:
        """The unlocked user this access token belongs to, or None (unknown, revoked, locked)."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        wanted = _token_hash(token)
        found = None
        for name, record in self._load().items():
            stored = record.get("token")
            digest = str(stored.get("sha256", "")) if isinstance(stored, dict) else ""
            # Every record is compared, in constant time: timing tells nothing about which matched.
            if hmac.compare_digest(digest.encode(), wanted.encode()) and found is None:
                found = name
        role = self.role_of(found)
        return User(found, role) if found is not None and role is not None else None

    def role_of(self, name: str | None) -> Role | None:
        """The role of an account that may work now: None for an unknown or locked one."""
        record = self._load().get(name or "")
        try:
            return Role(record["role"]) if record and not record.get("locked") else None
        except (KeyError, ValueError):
            return None

    def list(self) -> list[User]:
        users = self._load()
        return [User(name, Role(record["role"]), bool(record.get("locked"))) for name, record in sorted(users.items())]

    def __len__(self) -> int:
        return len(self._load())


def ensure_admin(store: UserStore) -> str | None:
    """Create `admin` with a random password when there are no users; return that password once."""
    if len(store):
        return None
    password = secrets.token_urlsafe(12)
    store.add_user(ADMIN_NAME, password, Role.ADMIN)
    return password
