"""Due-diligence screening: the tier of an engagement from the declared rules and the answers to
a checklist, with the rule behind every step, and the record of who screened and until when."""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..access import Viewer
from ..errors import Forbidden, NotFound, Problem, ValidationError
from ..files.duediligence import Rules
from ..partners import partner_key
from ..records import RISK_LEVELS
from ..store.cases import StoredCase
from ..store.screenings import Screening, save_screening, screenings_of
from .permissions import may_see_case_screening

if TYPE_CHECKING:
    from .parts import LibraryParts

PATHS = ("simplified", "full")


@dataclass
class Facts:
    """What is declared about an engagement: the partner and what the partnership involves."""

    partner: str
    partner_type: str = ""
    sector: str = ""
    text: str = ""  # the proposal's or note's description, searched for excluded sectors
    amount: float = 0.0
    currency: str = "USD"
    emblem: bool = False
    personal_data: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Reason:
    """One rule that applied: its code, what it says, the tier it leads to and why it applied."""

    rule: str
    label: str
    tier: str
    detail: str = ""


@dataclass
class Assessment:
    """The tier, whether the engagement is excluded, and every rule that produced them."""

    tier: str
    excluded: bool
    reasons: list[Reason] = field(default_factory=list)
    simplified_allowed: bool = True
    blockers: list[Reason] = field(default_factory=list)  # what rules out the simplified path

    @property
    def deciding(self) -> list[Reason]:
        """The reasons that set the tier (all at the final tier)."""
        return [r for r in self.reasons if r.tier == self.tier]


def in_currency(rules: Rules, amount: float, currency: str) -> float:
    """``amount`` in the rules' currency."""
    rate = rules.exchange_rates.get(currency.upper())
    if rate is None:
        raise ValidationError([Problem("screening", "currency", f"expected one of "
                                       f"{', '.join(rules.exchange_rates)}, found {currency!r}")])
    return amount * rate / rules.exchange_rates[rules.currency]


def facts_rules(rules: Rules, facts: Facts) -> list[Reason]:
    """The exclusions and elevating factors that the declared facts trigger."""
    reasons = []
    haystack = " ".join((facts.sector, facts.partner, facts.text))
    for sector in rules.sectors:
        found = sector.matches(haystack)
        if found:
            reasons.append(Reason(f"exclusion:{sector.code}", sector.label, "high",
                                  f"mentions {', '.join(found)}"))
    key = partner_key(facts.partner)
    listed = next((n for n in rules.sanctions if key and partner_key(n) == key), None)
    if listed:
        reasons.append(Reason("exclusion:sanctions", rules.sanctions_label, "high",
                              f"{facts.partner!r} matches {listed!r}"))
    amount = in_currency(rules, facts.amount or 0.0, facts.currency or rules.currency)
    for factor in rules.factors:
        detail = _factor_detail(factor, facts, amount, rules.currency)
        if detail:
            reasons.append(Reason(f"factor:{factor.code}", factor.label, factor.tier, detail))
    return reasons


def assess(rules: Rules, facts: Facts, answers: dict[str, str] | None = None,
           path: str = "full") -> Assessment:
    """The tier from the facts and, when given, the answers to the path's checklist."""
    reasons = facts_rules(rules, facts)
    amount = in_currency(rules, facts.amount or 0.0, facts.currency or rules.currency)
    blockers = list(reasons)
    if amount > rules.simplified_max_amount:
        blockers.append(Reason("simplified:max-amount", rules.simplified_label, "medium",
                               f"contribution of {amount:,.0f} {rules.currency} is above "
                               f"{rules.simplified_max_amount:,.0f}"))
    if answers is not None:
        for question in rules.checklist(path):
            if answers.get(question.code) == question.flag_when:
                reasons.append(Reason(f"checklist:{question.code}", question.question,
                                      question.tier, f"answered {question.flag_when}"))
    excluded = any(r.rule.startswith("exclusion:") for r in reasons)
    tier = max((r.tier for r in reasons), key=RISK_LEVELS.index, default="low")
    if not reasons:
        label = rules.simplified_label if path == "simplified" else "Full checklist"
        reasons.append(Reason(f"{path}:no-flags", label, "low",
                              "no exclusion, no elevating factor, no answer raised the tier"))
    return Assessment(tier, excluded, reasons, not blockers, blockers)


def check_answers(rules: Rules, path: str, answers: dict[str, str],
                  assessment_before: Assessment) -> None:
    """Refuse an unknown path, a simplified path the facts rule out, or a missing answer."""
    problems = []
    if path not in PATHS:
        problems.append(Problem("screening", "path", f"expected one of {', '.join(PATHS)}"))
    elif path == "simplified" and not assessment_before.simplified_allowed:
        why = "; ".join(f"{b.label} ({b.detail})" for b in assessment_before.blockers)
        problems.append(Problem("screening", "path", "the simplified checklist is for low-risk "
                                f"engagements only, and here: {why}. Use the full checklist."))
    else:
        for question in rules.checklist(path):
            if answers.get(question.code) not in ("yes", "no"):
                problems.append(Problem("screening", question.code,
                                        f"answer yes or no: {question.question}"))
    if problems:
        raise ValidationError(problems)


def expiry(rules: Rules, tier: str, screened: date) -> date:
    """The day a screening of ``tier`` made on ``screened`` stops holding."""
    months = rules.validity_months[tier]
    month_index = screened.month - 1 + months
    year, month = screened.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(screened.day, calendar.monthrange(year, month)[1]))


def screening_row(rules: Rules, *, subject_type: str, subject_id: str, division: str,
                  facts: Facts, path: str, answers: dict[str, str], author: str,
                  comment: str = "", when: datetime | None = None) -> dict[str, Any]:
    """Check the answers, assess, and return the store row of the screening."""
    check_answers(rules, path, answers, assess(rules, facts))
    result = assess(rules, facts, answers, path)
    when = (when or datetime.now(UTC)).replace(microsecond=0)
    kept = {q.code: answers[q.code] for q in rules.checklist(path)}
    return {
        "subject_type": subject_type, "subject_id": subject_id, "partner": facts.partner,
        "division": division, "screened_by": author, "screened_at": when.isoformat(),
        "path": path, "answers": kept, "facts": facts.to_dict() | {"rules": rules.version},
        "tier": result.tier, "excluded": result.excluded,
        "reasons": [asdict(r) for r in result.reasons],
        "expires_on": expiry(rules, result.tier, when.date()), "comment": comment,
    }


def _factor_detail(factor, facts: Facts, amount: float, currency: str) -> str:
    if factor.kind == "contribution-above" and amount > (factor.amount or 0):
        return f"{amount:,.0f} {currency} declared"
    if factor.kind == "emblem" and facts.emblem:
        return "the proposal asks to use the name or emblem"
    if factor.kind == "personal-data" and facts.personal_data:
        return "the partnership involves personal data"
    if factor.kind == "partner-type" and facts.partner_type in factor.partner_types:
        return f"partner type {facts.partner_type}"
    return ""


class CaseScreenings:
    """Screenings of case notes, by reviewers and the focal points of the note's division."""

    def __init__(self, library: LibraryParts):
        self.library = library

    def facts(self, stored: StoredCase, form: dict[str, Any] | None = None) -> Facts:
        """The note's first partner and text, with what the form declares about it."""
        form = form or {}
        note = stored.note
        partner = note.partners[0] if note.partners else None
        amount = str(form.get("amount") or "0").replace(",", "").strip()
        try:
            value = float(amount) if len(amount) <= 20 else -1.0
        except ValueError:
            value = -1.0
        if value < 0:
            raise ValidationError([Problem(note.id, "amount", "expected an amount such as 25000")])
        return Facts(
            partner=partner.name if partner else "", partner_type=partner.type if partner else "",
            sector=str(form.get("sector") or "")[:200], text=f"{note.title}\n{note.summary}",
            amount=value, currency=str(form.get("currency") or self.library.due_diligence.currency)
            [:3].upper(), emblem=form.get("emblem") in ("1", "on", "yes", True),
            personal_data=form.get("personal_data") in ("1", "on", "yes", True),
        )

    def screen(self, viewer: Viewer, case_id: str, form: dict[str, Any], path: str,
               answers: dict[str, str], comment: str = "") -> Screening:
        stored = self.note(viewer, case_id)
        row = screening_row(self.library.due_diligence, subject_type="case", subject_id=case_id,
                            division=stored.note.division, facts=self.facts(stored, form),
                            path=path, answers=answers, author=viewer.username or "",
                            comment=comment)
        return save_screening(self.library.store, row)

    def note(self, viewer: Viewer, case_id: str) -> StoredCase:
        """A published note whose screenings this viewer may see and record."""
        stored = self.library.get_case(case_id, viewer)
        if not may_see_case_screening(viewer, stored.note.division):
            raise Forbidden("Only reviewers, admins and the division's focal points screen "
                            "case notes.")
        return stored

    def may_screen(self, viewer: Viewer, stored: StoredCase) -> bool:
        return may_see_case_screening(viewer, stored.note.division)

    def of(self, viewer: Viewer, case_id: str) -> list[Screening]:
        """A note's screenings, newest first; empty for those who may not see them."""
        try:
            self.note(viewer, case_id)
        except (Forbidden, NotFound):
            return []
        return screenings_of(self.library.store, "case", case_id)
