"""Files of one login session: what it uploaded, and the exports and page images made for it.

A login session is Gradio's login token (`guard.session_of`); nothing here trusts a path or a
name the browser sends.

- `Uploads` remembers which paths Gradio's upload route returned to which session (the guard
  records them as the response goes out). The upload event accepts only paths its own session
  received: Gradio itself accepts any file in its upload folder, which once let a direct
  `queue/join` call ingest someone else's file.
- `SessionFiles` keeps exports and page images in a private folder of its own, outside Gradio's
  upload folder (which every logged-in user's file route reads): the folder is 0700, each batch of
  files sits in a sub-folder named by a random key, each file is 0600. The guard serves a file at
  `archive-files/<key>/<name>` to the session that made it and to no one else. Files go when their
  session ends (logout, idle, lifetime), after `keep` seconds in any case, and when the process
  exits.

    files = SessionFiles(keep=30 * 60)
    (link,) = files.store(session, lambda folder: [write_png(folder / "第3页.png")])
    link.url   # "archive-files/Zk3…/%E7%AC%AC3%E9%A1%B5.png", relative to the page

Deliberately not handled: several server processes (each keeps its own files, as Gradio keeps its
own tokens); folders left behind by a process that was killed (they stay private, 0700, in the
system temp folder, named `archive-assistant-files-*`).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

ROUTE = "archive-files"  # relative to the page; the guard answers /archive-files/<key>/<name>


@dataclass(frozen=True)
class Link:
    name: str
    url: str


@dataclass
class _Batch:
    session: str
    folder: Path
    made: float
    names: set[str] = field(default_factory=set)


class SessionFiles:
    def __init__(self, keep: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep = keep
        self.clock = clock
        self.root = Path(tempfile.mkdtemp(prefix="archive-assistant-files-"))  # mkdtemp makes it 0700
        self._batches: dict[str, _Batch] = {}
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.root), True)

    def store(self, session: str, write: Callable[[Path], Sequence[Path]]) -> list[Link]:
        """Run `write` on a fresh private folder and keep the files it returns for `session`.
        If `write` fails, nothing of it is kept and the error goes on to the caller."""
        key = secrets.token_urlsafe(18)
        folder = self.root / key
        folder.mkdir(mode=0o700)
        try:
            written = [Path(path) for path in write(folder)]
            for path in written:
                if path.parent != folder:
                    raise ValueError(f"{path} is not in the folder it was given")
                path.chmod(0o600)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self._lock:
            self._batches[key] = _Batch(session, folder, self.clock(), {path.name for path in written})
        return [Link(path.name, f"{ROUTE}/{key}/{quote(path.name)}") for path in written]

    def find(self, session: str | None, key: str, name: str) -> Path | bool | None:
        """The file for `session`; False when it exists but belongs to another session; None
        when there is no such file (never made, or already removed)."""
        with self._lock:
            batch = self._batches.get(key)
            if batch is None or name not in batch.names or self._expired(batch):
                return None
            if session is None or not secrets.compare_digest(batch.session, session):
                return False
            return batch.folder / name

    def end(self, session: str) -> None:
        """Remove every file of a session that has ended."""
        with self._lock:
            keys = [key for key, batch in self._batches.items() if batch.session == session]
            batches = [self._batches.pop(key) for key in keys]
        self._remove(batches)

    def sweep(self) -> None:
        """Remove the files older than `keep`."""
        with self._lock:
            keys = [key for key, batch in self._batches.items() if self._expired(batch)]
            batches = [self._batches.pop(key) for key in keys]
        self._remove(batches)

    def close(self) -> None:
        self._finalizer()

    def __len__(self) -> int:
        return len(self._batches)

    def _expired(self, batch: _Batch) -> bool:
        return self.clock() - batch.made > self.keep

    @staticmethod
    def _remove(batches: Iterable[_Batch]) -> None:
        for batch in batches:
            shutil.rmtree(batch.folder, ignore_errors=True)


class Uploads:
    """Gradio's upload route's answers, by session: which files each session really uploaded."""

    def __init__(self, keep: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep = keep
        self.clock = clock
        self._owner: dict[str, tuple[str, float]] = {}  # resolved path → (session, when)
        self._lock = threading.Lock()

    def record(self, session: str, paths: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            for path in paths:
                self._owner[_key(path)] = (session, now)

    def owns(self, session: str | None, path: str) -> bool:
        with self._lock:
            entry = self._owner.get(_key(path))
        return session is not None and entry is not None and secrets.compare_digest(entry[0], session)

    def claim(self, session: str | None, paths: Iterable[str]) -> tuple[list[str], list[str]]:
        """(paths this session uploaded, the others). The first are forgotten: each upload is
        ingested once, by the event that claims it; the others are left alone (they may be
        another session's files)."""
        mine, others = [], []
        with self._lock:
            for path in paths:
                entry = self._owner.get(_key(path))
                if session is not None and entry is not None and secrets.compare_digest(entry[0], session):
                    del self._owner[_key(path)]
                    mine.append(path)
                else:
                    others.append(path)
        return mine, others

    def end(self, session: str) -> None:
        """Delete what a session uploaded and never ingested (its copy in Gradio's upload folder)."""
        with self._lock:
            paths = [path for path, (owner, _) in self._owner.items() if owner == session]
            for path in paths:
                del self._owner[path]
        _delete(paths)

    def sweep(self) -> None:
        now = self.clock()
        with self._lock:
            paths = [path for path, (_, when) in self._owner.items() if now - when > self.keep]
            for path in paths:
                del self._owner[path]
        _delete(paths)


def _key(path: str) -> str:
    return os.path.realpath(path)


def _delete(paths: Iterable[str]) -> None:
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete an upload: %s", exc.strerror)
