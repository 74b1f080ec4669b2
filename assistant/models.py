"""Plain data types passed between the stages of the flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

# The one sentence the assistant says when its sources do not answer the question.
NO_EVIDENCE_ANSWER = "在您有权查阅的馆藏资料中，没有找到能够回答这个问题的依据。"

Status = Literal["answered", "no_evidence"]

# How a catalogue row is written as chunk text: 档号：38-1-0045；题名：…
CELL_SEPARATOR, LABEL_SEPARATOR = "；", "："


class Role(StrEnum):
    READER = "reader"
    STAFF = "staff"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is asking. The role decides which records retrieval may ever look at."""

    name: str
    role: Role = Role.STAFF


@dataclass(frozen=True)
class Line:
    """One line of a loaded document, before chunking.

    `heading_level` is set when the format itself says the line is a heading (DOCX styles,
    Markdown #); for PDF and plain text the chunker recognises Chinese heading numbering.
    `table` is set on the rows of a table (see `assistant.ingest.tables`): the table's caption,
    or "" when it has none. A row stays one line of its chunk and the caption joins its section.
    """

    text: str
    page: int | None = None
    heading_level: int | None = None
    table: str | None = None


@dataclass(frozen=True)
class LoadedDocument:
    """A report, guide or other running text, as lines with their page numbers.

    `year` is the year the document is about (a 2023年度 report: 2023; a 2024年政府工作报告,
    which reviews 2023: 2023); `published` the year it was written; `plan_year` the year its
    targets are for. `issuer` is the body that wrote it (青山县档案馆), when its opening or
    signature names one."""

    path: str
    title: str
    kind: str  # "report" | "guide" | "text"
    year: int | None
    lines: list[Line]
    published: int | None = None
    plan_year: int | None = None
    issuer: str = ""


@dataclass(frozen=True)
class CatalogueRow:
    """One catalogue (目录) entry mapped to our schema; `archival_code` keeps the original form."""

    source_path: str
    sheet: str
    row_number: int
    fonds: str | None
    archival_code: str | None
    code_key: str | None
    title: str
    year: int | None
    date: str
    retention: str
    pages: str
    classification: str
    open_status: str
    creator: str
    catalogue_no: str
    volume_no: str
    notes: str
    access_level: int


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval. A citation is this metadata rendered."""

    id: str
    source_id: str
    source_name: str
    kind: str  # "report" | "guide" | "text" | "catalogue"
    ordinal: int
    text: str
    header: str
    section: str
    page: int | None
    fonds: str | None
    archival_code: str | None
    code_key: str | None
    year: int | None
    access_level: int
    # The years the chunk's section is about (一、2023年工作回顾 → 2023; a plan section of a
    # work report → its plan year), and the year its document was written, which resolves
    # 今年 / 去年 in its sentences (assistant.text.years).
    context_years: tuple[int, ...] = ()
    published: int | None = None

    @property
    def years(self) -> tuple[int, ...]:
        """Every year the chunk talks about: its section's and those its text names. Retrieval
        narrows a question about 2022 to chunks with 2022 among these (or none at all)."""
        from assistant.text.years import fact_years

        base = self.context_years or ((self.year,) if self.year is not None else ())
        named = fact_years(self.text, self.published) if self.kind != "catalogue" else ()
        return tuple(sorted({*base, *named}))

    @property
    def retrieval_text(self) -> str:
        """What is indexed lexically: the context header keeps years and titles apart. A
        catalogue row is indexed by its cell values only: its labels (档号, 题名, 年度 …) stand
        in every row and would match every question that uses those words."""
        if self.kind == "catalogue":
            return " ".join([self.header, *catalogue_cells(self.text).values()])
        return f"{self.header}\n{self.text}"

    @property
    def embedding_text(self) -> str:
        """What is embedded. A catalogue row's meaning is its title; its other cells are codes and
        numbers that dense models do not help with (they are matched exactly elsewhere), and
        leaving them out halves the cost of embedding large catalogues."""
        if self.kind == "catalogue":
            return f"{self.header} {catalogue_cells(self.text).get('题名', self.text)}"
        return self.retrieval_text


def catalogue_cells(text: str) -> dict[str, str]:
    """'档号：38-1-0045；题名：…' → {'档号': '38-1-0045', '题名': '…'} (see ingest.catalogue.row_text)."""
    cells = {}
    for part in text.split(CELL_SEPARATOR):
        label, _, value = part.partition(LABEL_SEPARATOR)
        cells[label] = value
    return cells


@dataclass(frozen=True)
class Filters:
    fonds: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    kinds: tuple[str, ...] = ()
    # Years named in the question: dated chunks must be of one of them, undated ones may stay.
    years: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    legs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Citation:
    id: int
    source: str
    page: int | None
    fonds: str | None
    archival_code: str | None
    text: str
    chunk_id: str = field(repr=False, default="")

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "source": self.source,
            "page": self.page,
            "fonds": self.fonds,
            "archival_code": self.archival_code,
            "text": self.text,
        }


@dataclass
class Answer:
    question: str
    answer: str
    status: Status
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    generated_by: str = "extractive"
    # The plain sentence that answers, before the quotes ('' on refusals; the first line of the
    # answer when the answerer set none); on refusals, what was found nearby, marked as not an answer.
    direct_answer: str = ""
    hint: str = ""
    understood_as: str = ""  # a follow-up read with the conversation: the standalone question
    # A question across years: each year's checked figure ({year, value, unit, text, citation}),
    # for the UI's chart and table and the export.
    series: list[dict[str, object]] = field(default_factory=list)

    @property
    def first_sentence(self) -> str:
        if self.status != "answered":
            return ""
        lines = (line for line in self.answer.splitlines() if line.strip() and not line.startswith("理解为："))
        return self.direct_answer or next(lines, "")

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.answer,
            "direct_answer": self.first_sentence,
            "status": self.status,
            "hint": self.hint,
            "understood_as": self.understood_as,
            "series": self.series,
            "citations": [citation.to_json() for citation in self.citations],
            "timings_ms": {key: round(value, 2) for key, value in self.timings_ms.items()},
            "warnings": self.warnings,
            "generated_by": self.generated_by,
        }


@dataclass(frozen=True)
class AccessChoice:
    """The open status (开放 / 控制使用 / 延期开放 / 未审核) and 密级 a person gives a document."""

    open_status: str
    classification: str = ""


@dataclass
class FileResult:
    path: str
    status: Literal["ingested", "unchanged", "failed"]
    chunks: int = 0
    message: str = ""


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed
