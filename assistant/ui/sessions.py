"""Login sessions for `guard`: when each Gradio token was issued and last used (`Sessions`,
which ends the idle and the too old), and the password check Gradio's login calls
(`login_check`), run off the event loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass

import anyio

from assistant.users import UserStore

log = logging.getLogger(__name__)


@dataclass
class Session:
    user: str
    started: float  # clock time of the login
    seen: float  # clock time of the last request


class Sessions:
    """Login time and last activity of each Gradio token; ends the idle and the too old.

    Methods take Gradio's token dict and delete the tokens of the sessions they end from it. All
    calls happen on the server's event loop, so the records need no lock; Gradio's own logout runs
    in a worker thread and only deletes from its dict, which is copied before being iterated here.
    Each `on_end` callable is called with the token of every session that ends (files to remove).
    """

    def __init__(
        self,
        idle: float,
        lifetime: float,
        clock: Callable[[], float] = time.monotonic,
        on_end: Iterable[Callable[[str], None]] = (),
    ) -> None:
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock
        self.on_end = list(on_end)
        self._live: dict[str, Session] = {}

    def adopt(self, tokens: Mapping[str, str]) -> None:
        """Start the clock of every token Gradio issued since the last call (a login just happened)."""
        now = self.clock()
        for token, user in dict(tokens).items():
            self._live.setdefault(token, Session(user, now, now))

    def admit(self, token: str, tokens: MutableMapping[str, str]) -> bool:
        """Whether a request with this (Gradio-known) token may go on; if so it counts as activity.
        A token whose login was never seen is refused: it cannot be shown to be young enough."""
        session = self._live.get(token)
        now = self.clock()
        if session is None or self._over(session, now):
            self.end(token, tokens)
            return False
        session.seen = now
        return True

    def sweep(self, tokens: MutableMapping[str, str]) -> None:
        """End every session that is over, and forget those Gradio has dropped (logout)."""
        now = self.clock()
        for token, session in list(self._live.items()):
            if token not in tokens or self._over(session, now):
                self.end(token, tokens)

    def end(self, token: str, tokens: MutableMapping[str, str]) -> None:
        session = self._live.pop(token, None)
        if tokens.pop(token, None) is not None and session is not None:
            log.info("session of %s ended after %.0f s", session.user, self.clock() - session.started)
        for callback in self.on_end:
            callback(token)

    def _over(self, session: Session, now: float) -> bool:
        return now - session.seen > self.idle or now - session.started > self.lifetime

    def __contains__(self, token: object) -> bool:
        return token in self._live

    def __len__(self) -> int:
        return len(self._live)


def login_check(users: UserStore, threads: int = 1) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's `auth` callable: the password check (scrypt) in a worker thread, one at a time.

    Gradio awaits it only when `inspect.iscoroutinefunction` says so, hence a plain `async def`
    (an object with an async `__call__` would be called without await, and its coroutine is
    truthy: every password would pass). One thread is enough for an office and keeps a flood of
    logins to one core, while the event loop stays free for everyone else."""
    limiter = anyio.CapacityLimiter(threads)

    async def check(username: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(users.verify, username, password, limiter=limiter)

    return check
