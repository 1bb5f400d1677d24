"""Key actions and progress updates as they arrive from a form, JSON or the command line:
validated field by field, every problem reported at once, before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from ..errors import Problem, ValidationError
from ..records import ACTION_STATUSES

LIMITS = {"text": 2000, "responsible_unit": 200, "evidence_url": 500, "update": 4000}


def parse_action_fields(raw: Mapping[str, Any], *, partial: bool = False,
                        source: str = "action") -> dict[str, Any]:
    """Validate an action's fields from a form, JSON or the CLI; every problem at once."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    if "text" in raw or not partial:
        text = " ".join(str(raw.get("text") or "").split())
        if not text:
            problems.append(Problem(source, "text", "required: say what will be done"))
        values["text"] = text
    if "responsible_unit" in raw or not partial:
        values["responsible_unit"] = " ".join(str(raw.get("responsible_unit") or "").split())
    if "due_date" in raw or not partial:
        values["due_date"] = _date(raw.get("due_date"), "due_date", source, problems)
    if "status" in raw or not partial:
        status = str(raw.get("status") or "not-started").strip()
        if status not in ACTION_STATUSES:
            message = f"expected one of {', '.join(ACTION_STATUSES)}; found {status!r}"
            problems.append(Problem(source, "status", message))
        values["status"] = status
    _check_lengths(values, source, problems)
    if problems:
        raise ValidationError(problems)
    return values


def parse_update_fields(raw: Mapping[str, Any], today: date,
                        source: str = "update") -> dict[str, Any]:
    """Validate a progress update: a date not after today, text, evidence, optional status."""
    problems: list[Problem] = []
    text = str(raw.get("text") or "").strip()
    if not text:
        problems.append(Problem(source, "text", "required: say what progress was made"))
    when = _date(raw.get("date"), "date", source, problems) or today
    if when > today:
        problems.append(Problem(source, "date", f"a progress update cannot be dated after "
                                f"today ({today.isoformat()}); found {when.isoformat()}"))
    url = str(raw.get("evidence_url") or "").strip()
    parts = urlsplit(url) if url else None
    if parts is not None and (parts.scheme not in ("http", "https") or not parts.netloc):
        problems.append(Problem(source, "evidence_url", "expected an http:// or https:// "
                                f"address such as https://unece.org/report; found {url[:80]!r}"))
    status = str(raw.get("status") or "").strip()
    if status and status not in ACTION_STATUSES:
        message = f"expected one of {', '.join(ACTION_STATUSES)}; found {status!r}"
        problems.append(Problem(source, "status", message))
    values = {"date": when, "text": text, "evidence_url": url, "status": status,
              "evidence_case_id": str(raw.get("evidence_case_id") or "").strip()}
    _check_lengths({"update": text, "evidence_url": url}, source, problems)
    if problems:
        raise ValidationError(problems)
    return values


def _date(raw: Any, name: str, source: str, problems: list[Problem]) -> date | None:
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(source, name, f"expected a date such as 2026-12-31 "
                                f"(year-month-day); found {text[:40]!r}"))
        return None


def _check_lengths(values: Mapping[str, Any], source: str, problems: list[Problem]) -> None:
    for name, limit in LIMITS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            problems.append(Problem(source, name, f"at most {limit} characters; "
                                    f"found {len(value)}"))
