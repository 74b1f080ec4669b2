"""Which pipeline built an index: chunker, segmenter dictionary, figure extractor and model.

Stored text, lexical terms and figures are what the pipeline of the day made of the sources. A
newer release that cuts, segments or reads figures differently must not add its output beside
the old (a question would then match one half of the index one way and the other half another),
so the index records the version of each stage, `doctor` reports a difference, ingest refuses
to add to such an index, and `reindex` rebuilds it from the sources. The embedding model has its
own, older check in `store` (its vectors live in a collection of their own).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from importlib.metadata import version

from assistant.index import db

PIPELINE_KEY = "pipeline"  # meta: JSON of the stage versions that built the stored chunks

# Bumped by hand when a stage's output changes for the same input.
CHUNKER_VERSION = "2"
FIGURES_VERSION = "2"

STAGE_NAMES = {"chunker": "文本切分", "segmenter": "中文分词词典", "figures": "报告数字提取"}


def current() -> dict[str, str]:
    """The stage versions of this release."""
    return {"chunker": CHUNKER_VERSION, "segmenter": _segmenter_version(), "figures": FIGURES_VERSION}


def _segmenter_version() -> str:
    """jieba's version and our dictionary and rules: any change in them changes the terms stored."""
    from assistant.index import lexical

    said = json.dumps(
        [version("jieba"), sorted(lexical.DOMAIN_WORDS), sorted(lexical.STOP_WORDS), lexical.RULES_VERSION],
        ensure_ascii=False,
    )
    return hashlib.sha256(said.encode()).hexdigest()[:12]


def stale_stages(conn: sqlite3.Connection) -> list[str]:
    """The stages (in Chinese) whose stored output another version made; [] for an empty index,
    which then records this release's versions."""
    now = current()
    stored = db.get_meta(conn, PIPELINE_KEY)
    if db.count_chunks(conn) == 0:
        if stored != json.dumps(now, sort_keys=True):
            db.set_meta(conn, PIPELINE_KEY, json.dumps(now, sort_keys=True))
        return []
    if stored is None:  # built before the index recorded its pipeline: every stage unknown
        return list(STAGE_NAMES.values())
    then = json.loads(stored)
    return [STAGE_NAMES[stage] for stage in now if then.get(stage) != now[stage]]


def record(conn: sqlite3.Connection) -> None:
    """This release built everything now stored (after a full rebuild)."""
    db.set_meta(conn, PIPELINE_KEY, json.dumps(current(), sort_keys=True))
