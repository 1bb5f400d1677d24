"""Plain records that flow from corpus files and forms into the store and the indexes."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

LESSON_KINDS = ("good-practice", "lesson", "pitfall")
STATUSES = ("proposed", "active", "completed", "discontinued")
VISIBILITIES = ("public", "internal", "restricted")
RISK_LEVELS = ("low", "medium", "high")
RESPONSES = ("accepted", "partially-accepted", "rejected")
# A recommendation's status is derived from its key actions (see kmsearch/store/followup.py).
IMPLEMENTATION_STATUSES = ("not-started", "in-progress", "implemented", "no-longer-applicable")
ACTION_STATUSES = ("not-started", "in-progress", "completed", "no-longer-applicable")


@dataclass
class Partner:
    name: str
    type: str


@dataclass
class Lesson:
    """One good practice, lesson or pitfall; its id is ``<case id>--<position>``."""

    case_id: str
    position: int
    kind: str
    text: str

    @property
    def id(self) -> str:
        return lesson_id(self.case_id, self.position)


def lesson_id(case_id: str, position: int) -> str:
    return f"{case_id}--{position}"


@dataclass
class Attachment:
    """A file attached to a case note: its name, the hash of its bytes, size and detected type.

    ``source`` is the path a corpus file gave (relative to the note file); the bytes themselves
    live outside the database, found by ``sha256``.
    """

    name: str
    sha256: str = ""
    size: int = 0
    type: str = ""  # pdf, docx, xlsx, pptx, md or txt, detected from the content
    source: str = ""


@dataclass
class CaseNote:
    """One partnership told as a short story, with every front-matter field normalised to codes."""

    id: str
    title: str
    division: str
    partners: list[Partner] = field(default_factory=list)
    partnership_types: list[str] = field(default_factory=list)
    nexus_areas: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)  # "evaluation-id/N"
    start_year: int | None = None
    end_year: int | None = None
    status: str = "active"
    good_practice: bool = False
    visibility: str = "internal"
    risk_level: str = "low"
    summary: str = ""
    lessons: list[Lesson] = field(default_factory=list)
    body: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Every field; ``attachments`` only when there are some, so older hashes still hold.

        What ``dataclasses.asdict`` gives, built field by field: asdict's generic deep copy was a
        fifth of a no-change re-ingest at 10,000 notes.
        """
        data: dict[str, Any] = {}
        for name in _fields_of(CaseNote):
            value = getattr(self, name)
            if name in _RECORD_LISTS:
                value = [{f: getattr(item, f) for f in _fields_of(type(item))} for item in value]
            elif name == "extra":
                value = copy.deepcopy(value)
            elif isinstance(value, list):
                value = list(value)
            data[name] = value
        if not data["attachments"]:
            del data["attachments"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseNote:
        data = dict(data)
        data["partners"] = [Partner(**p) for p in data.get("partners", [])]
        data["lessons"] = [Lesson(**lesson) for lesson in data.get("lessons", [])]
        data["attachments"] = [Attachment(**item) for item in data.get("attachments", [])]
        return cls(**data)

    def content_hash(self) -> str:
        """A stable hash of every field, so unchanged notes are recognised on re-ingest."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def years(self) -> list[int]:
        """Every year the partnership ran, for year filters; ongoing notes run to their start."""
        if self.start_year is None:
            return []
        end = self.end_year if self.end_year is not None else self.start_year
        return list(range(self.start_year, max(end, self.start_year) + 1))


@dataclass
class Recommendation:
    evaluation_id: str
    number: int
    text: str
    response: str  # one of RESPONSES
    response_text: str = ""
    actions: str = ""
    responsibility: str = ""
    timeline: date | None = None
    status: str = "not-started"  # one of IMPLEMENTATION_STATUSES

    @property
    def id(self) -> str:
        return recommendation_id(self.evaluation_id, self.number)


def recommendation_id(evaluation_id: str, number: int) -> str:
    return f"{evaluation_id}/{number}"


@dataclass
class Evaluation:
    id: str
    title: str
    period: str
    date: date | None
    recommendations: list[Recommendation] = field(default_factory=list)
    default: bool = False


_RECORD_LISTS = {"partners", "lessons", "attachments"}


@functools.cache
def _fields_of(record_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record_type))
