"""The fields of a partnership proposal: what the public form accepts (every field with a size
limit), and the draft case note an accepted proposal becomes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ValidationError
from ..files.duediligence import Rules
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..store.proposals import Proposal

EMAIL = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")
CONTRIBUTIONS = {"none": "None", "financial": "Financial", "in-kind": "In kind",
                 "both": "Financial and in kind"}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    limit: int
    required: bool = False


TEXT_FIELDS = (
    Field("organisation", "Organisation", 200, True),
    Field("country", "Country", 100, True),
    Field("sector", "Sector of activity", 200),
    Field("contact_name", "Contact person", 200, True),
    Field("contact_email", "Contact e-mail", 254, True),
    Field("title", "Title of the proposal", 200, True),
    Field("description", "What you propose", 5000, True),
    Field("outcomes", "Intended outcomes", 3000),
    Field("duration", "Duration", 100),
    Field("data_sharing", "Data to be shared, if any", 1000),
)
LIMITS = {f.name: f.limit for f in TEXT_FIELDS} | {"amount": 20, "currency": 3,
                                                   "partner_type": 40, "contribution_kind": 20}


def proposal_text(fields: dict) -> str:
    """The words of a proposal that say what it is about: what channelling reads."""
    parts = (fields.get("title", ""), fields.get("description", ""), fields.get("outcomes", ""),
             fields.get("sector", ""))
    return "\n".join(p for p in parts if p)


def read_proposal(form: dict[str, Any], taxonomy: Taxonomy, rules: Rules) -> dict[str, Any]:
    """The checked fields of a submitted form; a ValidationError lists every problem."""
    problems: list[Problem] = []
    fields: dict[str, Any] = {}
    for spec in TEXT_FIELDS:
        value = _text(form.get(spec.name))
        if len(value) > spec.limit:
            problems.append(Problem("proposal", spec.name, f"at most {spec.limit} characters, "
                                    f"found {len(value)}"))
            value = ""
        elif spec.required and not value:
            problems.append(Problem("proposal", spec.name, f"required: {spec.label.lower()}"))
        fields[spec.name] = value
    if fields["contact_email"] and not EMAIL.match(fields["contact_email"]):
        problems.append(Problem("proposal", "contact_email",
                                "expected an e-mail address such as name@example.org"))
    partner_type = taxonomy.partner_types.resolve(_text(form.get("partner_type"))[:40])
    if partner_type is None:
        problems.append(Problem("proposal", "partner_type", "choose the type of organisation"))
    fields["partner_type"] = partner_type.code if partner_type else ""
    kind = _text(form.get("contribution_kind")) or "none"
    if kind not in CONTRIBUTIONS:
        problems.append(Problem("proposal", "contribution_kind",
                                f"expected one of {', '.join(CONTRIBUTIONS)}"))
    fields["contribution_kind"] = kind
    fields["amount"] = _amount(_text(form.get("amount")), problems)
    currency = _text(form.get("currency")).upper() or rules.currency
    if currency not in rules.exchange_rates:
        problems.append(Problem("proposal", "currency",
                                f"expected one of {', '.join(rules.exchange_rates)}"))
    fields["currency"] = currency
    fields["emblem"] = _flag(form.get("emblem"))
    fields["personal_data"] = _flag(form.get("personal_data"))
    if problems:
        raise ValidationError(problems)
    return fields


def draft_fields(proposal: Proposal, taxonomy: Taxonomy, nexus_areas: list[str], tier: str,
                 default_evaluation: str | None) -> tuple[dict[str, Any], str]:
    """The contribution-form fields and Markdown body of the draft case note an accepted
    proposal becomes: partner, division, nexus areas, summary, risk level, a link back."""
    types = {"financial": ["financial-contribution"], "in-kind": ["in-kind-contribution"],
             "both": ["financial-contribution", "in-kind-contribution"]}
    partnership_types = types.get(proposal.get("contribution_kind"), []) + (
        ["data-sharing"] if proposal.get("data_sharing") else [])
    summary = " ".join(proposal.get("description").split())
    if len(summary) > 300:
        summary = summary[:300].rsplit(" ", 1)[0] + "…"
    body = "\n\n".join(part for part in (
        "## Proposal", proposal.get("description"),
        "## Intended outcomes" if proposal.get("outcomes") else "", proposal.get("outcomes"),
        f"Received as proposal {proposal.reference}.",
    ) if part)
    fields = {
        "title": proposal.title, "summary": summary, "division": proposal.division,
        "partners": [{"name": proposal.organisation, "type": proposal.partner_type}],
        "partnership_types": partnership_types or ["joint-project"],
        "nexus_areas": nexus_areas, "sdgs": [],
        "recommendations": [f"{default_evaluation}/7"] if default_evaluation else [],
        "start_year": str(datetime.now(UTC).year), "end_year": "", "status": "proposed",
        "good_practice": "", "visibility": "internal", "risk_level": tier, "lessons": [],
        "proposal": proposal.reference,
    }
    return fields, body


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return CONTROL.sub("", value.replace("\r\n", "\n")).strip()


def _flag(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("1", "on", "yes", "true")


def _amount(raw: str, problems: list[Problem]) -> float:
    if not raw:
        return 0.0
    cleaned = raw.replace(",", "").replace(" ", "").replace("\u00a0", "")
    if len(raw) > 20 or not re.fullmatch(r"\d+(\.\d{1,2})?", cleaned):
        problems.append(Problem("proposal", "amount",
                                "expected an amount such as 25000 or 25,000.50"))
        return 0.0
    return float(cleaned)
