"""The one-stop shop for partnership proposals (recommendation 7): intake from a public form,
the proposer's status by reference and secret token, and the reviewers' workflow
received -> screening -> assigned -> accepted | declined | withdrawn, each step recorded.

Every permission is checked here (rules in ``permissions.py``); proposal fields are checked
in ``intake.py``; an accepted proposal becomes a draft case note through the contribution
service, linked both ways.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from statistics import median
from typing import TYPE_CHECKING, Any

from ..access import Viewer
from ..errors import Forbidden, NotFound, Problem, ValidationError
from ..store.proposals import (
    DECISIONS,
    OPEN_STATES,
    PROPOSAL_STATES,
    Proposal,
    get_proposal,
    insert_proposal,
    list_proposals,
    move_proposal,
)
from ..store.screenings import Screening, save_screening, screenings_of
from .intake import draft_fields, proposal_text, read_proposal
from .permissions import may_review, may_see_proposal
from .screening import Assessment, Facts, assess, screening_row

if TYPE_CHECKING:
    from .partners import PartnerProfile
    from .parts import LibraryParts

__all__ = ["OPEN_STATES", "PROPOSAL_STATES", "Proposals", "ProposerView", "QueueItem"]
NOT_FOUND = "No proposal with this reference and token; check both and try again."


@dataclass
class ProposerView:
    """What the proposer sees: the state and the dates of each step; never who or why."""

    reference: str
    state: str
    received: str
    steps: list[tuple[str, str]]  # (state, ISO time)


@dataclass
class QueueItem:
    proposal: Proposal
    age_days: int
    tier: str  # of the newest screening, "" when not screened


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def days_between(start: str, end: str | None = None) -> float:
    """Days from one ISO time to another (to now when ``end`` is None)."""
    finish = datetime.fromisoformat(end) if end else datetime.now(UTC)
    return (finish - datetime.fromisoformat(start)).total_seconds() / 86400


class Proposals:
    """The proposal service over the library facade."""

    def __init__(self, library: LibraryParts):
        self.library = library
        self.store = library.store

    # Intake and the proposer's view

    def submit(self, viewer: Viewer, form: dict[str, Any]) -> tuple[Proposal, str]:
        """Record a proposal from the form; returns it and the proposer's secret token, which
        is shown once and kept only as a hash."""
        fields = read_proposal(form, self.library.taxonomy, self.library.due_diligence)
        token = secrets.token_urlsafe(24)
        suggested = ""
        try:
            found = self.library.channel(proposal_text(fields), _SYSTEM)
            suggested = found.divisions[0].code if found.divisions else ""
        except ValidationError:
            suggested = ""
        proposal = insert_proposal(self.store, fields, token_hash=token_hash(token),
                                   submitted_by=viewer.username or "",
                                   suggested_division=suggested)
        return proposal, token

    def status(self, reference: str, token: str) -> ProposerView:
        """The proposal's state for whoever holds its reference and token."""
        proposal = self._by_token(reference, token)
        steps = [(e.to_state, e.created_at) for e in proposal.events]
        return ProposerView(proposal.reference, proposal.state, proposal.created_at, steps)

    def withdraw_by_proposer(self, reference: str, token: str) -> ProposerView:
        proposal = self._by_token(reference, token)
        move_proposal(self.store, proposal.reference, expected=OPEN_STATES, to_state="withdrawn",
                      author="proposer", comment="withdrawn by the proposer")
        return self.status(reference, token)

    def _by_token(self, reference: str, token: str) -> Proposal:
        reference = " ".join((reference or "").split()).upper()[:40]
        given = token_hash((token or "").strip()[:200])
        try:
            proposal = get_proposal(self.store, reference)
        except NotFound:
            hmac.compare_digest(given, given)
            raise NotFound(NOT_FOUND) from None
        if not hmac.compare_digest(given, proposal.token_hash):
            raise NotFound(NOT_FOUND)
        return proposal

    # Reading, for reviewers and focal points

    def get(self, viewer: Viewer, reference: str) -> Proposal:
        """A proposal this viewer may see; NotFound for everyone else."""
        try:
            proposal = get_proposal(self.store, reference)
        except NotFound:
            raise NotFound(f"No proposal {reference!r}.") from None
        if not may_see_proposal(viewer, proposal.division):
            raise NotFound(f"No proposal {reference!r}.")
        return proposal

    def visible_reference(self, viewer: Viewer, reference: object) -> str:
        """``reference`` when it names a proposal this viewer may see, else ""."""
        if not isinstance(reference, str) or not reference:
            return ""
        try:
            return self.get(viewer, reference).reference
        except NotFound:
            return ""

    def queue(self, viewer: Viewer, *, state: str = "", division: str = "",
              open_only: bool = False) -> list[QueueItem]:
        """The proposals this viewer may see, oldest open first, with age and screening tier."""
        if not (may_review(viewer) or (viewer.signed_in and "contributor" in viewer.roles)):
            raise Forbidden("Only reviewers, admins and division focal points see proposals.")
        items = []
        for proposal in list_proposals(self.store):
            if not may_see_proposal(viewer, proposal.division):
                continue
            if (state and proposal.state != state) or (division and proposal.division != division
                                                       and proposal.suggested_division != division):
                continue
            if open_only and proposal.state not in OPEN_STATES:
                continue
            screened = screenings_of(self.store, "proposal", proposal.reference)
            age = days_between(proposal.created_at, proposal.decided_at or None)
            items.append(QueueItem(proposal, int(age), screened[0].tier if screened else ""))
        return sorted(items, key=lambda i: (i.proposal.state not in OPEN_STATES,
                                            i.proposal.created_at))

    def channelling(self, viewer: Viewer, proposal: Proposal) -> Any:
        """Suggested division and nexus areas, similar notes and their lessons (a
        ``kmsearch.search.channelling.Channelling``), from what this viewer may see."""
        return self.library.channel(proposal_text(proposal.fields), viewer)

    def earlier(self, viewer: Viewer, proposal: Proposal) -> PartnerProfile | None:
        """Other engagements with the proposing organisation that this viewer may see."""
        return self.library.partners.earlier(proposal.organisation, viewer, proposal.reference)

    def screenings(self, viewer: Viewer, proposal: Proposal) -> list[Screening]:
        self.get(viewer, proposal.reference)
        return screenings_of(self.store, "proposal", proposal.reference)

    def facts(self, proposal: Proposal) -> Facts:
        return Facts(
            partner=proposal.organisation, partner_type=proposal.partner_type,
            sector=proposal.get("sector"), text=proposal_text(proposal.fields),
            amount=float(proposal.get("amount") or 0), currency=proposal.get("currency") or
            self.library.due_diligence.currency, emblem=bool(proposal.get("emblem")),
            personal_data=bool(proposal.get("personal_data")),
        )

    def assessment(self, proposal: Proposal) -> Assessment:
        """What the declared facts alone give, before any checklist is answered."""
        return assess(self.library.due_diligence, self.facts(proposal))

    def durations(self, proposal: Proposal) -> list[tuple[str, float]]:
        """Days spent in each state, in order; the current open state counts until now."""
        spans = []
        events = proposal.events
        for event, following in zip(events, events[1:] + [None], strict=True):
            if following is None and event.to_state in DECISIONS:
                continue
            end = following.created_at if following else None
            spans.append((event.to_state, days_between(event.created_at, end)))
        return spans

    # The workflow

    def screen(self, viewer: Viewer, reference: str, path: str, answers: dict[str, str],
               comment: str = "") -> Screening:
        """Record a due-diligence screening; a received proposal moves to screening."""
        proposal = self._actionable(viewer, reference)
        if proposal.state not in OPEN_STATES:
            raise ValidationError([Problem(reference, "state", f"the proposal is "
                                           f"{proposal.state}; it can no longer be screened")])
        row = screening_row(
            self.library.due_diligence, subject_type="proposal", subject_id=reference,
            division=proposal.division, facts=self.facts(proposal), path=path, answers=answers,
            author=viewer.username or "", comment=comment,
        )
        if proposal.state == "received":
            self.start_screening(viewer, reference, "screened with the " + path + " checklist")
        return save_screening(self.store, row)

    def start_screening(self, viewer: Viewer, reference: str, comment: str = "") -> Proposal:
        self._reviewer(viewer)
        return move_proposal(self.store, reference, expected=("received",), to_state="screening",
                             author=viewer.username or "", comment=comment)

    def assign(self, viewer: Viewer, reference: str, division: str, comment: str = "") -> Proposal:
        """Send a screened proposal to a division; reviewers only. An excluded one cannot go."""
        self._reviewer(viewer)
        term = self.library.taxonomy.divisions.resolve(division)
        if term is None:
            raise ValidationError([Problem(reference, "division", "choose a division")])
        screened = screenings_of(self.store, "proposal", reference)
        if not screened:
            raise ValidationError([Problem(reference, "screening", "screen the proposal for due "
                                           "diligence before assigning it")])
        if screened[0].excluded:
            raise ValidationError([Problem(reference, "screening", "the screening excludes this "
                                           "partner; decline the proposal instead")])
        return move_proposal(self.store, reference, expected=("screening", "assigned"),
                             to_state="assigned", author=viewer.username or "",
                             comment=comment, division=term.code)

    def accept(self, viewer: Viewer, reference: str, comment: str = "") -> Proposal:
        """Accept an assigned proposal: it becomes a draft case note of the division, prefilled
        from the proposal and linked both ways. Reviewers and the division's focal points."""
        proposal = self._actionable(viewer, reference)
        if proposal.state != "assigned":
            raise ValidationError([Problem(reference, "state", f"the proposal is "
                                           f"{proposal.state}; only an assigned one is accepted")])
        found = self.channelling(viewer, proposal)
        screened = screenings_of(self.store, "proposal", reference)
        fields, body = draft_fields(proposal, self.library.taxonomy,
                                    [s.code for s in found.nexus_areas[:1]],
                                    screened[0].tier if screened else "low",
                                    self.store.default_evaluation_id())
        outcome = self.library.contributions.save_draft(viewer, fields, body,
                                                        comment=f"from proposal {reference}")
        if not outcome.saved:
            raise ValidationError(outcome.problems)
        return move_proposal(self.store, reference, expected=("assigned",), to_state="accepted",
                             author=viewer.username or "", comment=comment,
                             case_id=outcome.case_id)

    def decline(self, viewer: Viewer, reference: str, comment: str = "") -> Proposal:
        self._actionable(viewer, reference)
        _need_comment(reference, comment, "say why the proposal is declined")
        return move_proposal(self.store, reference, expected=OPEN_STATES, to_state="declined",
                             author=viewer.username or "", comment=comment)

    def withdraw(self, viewer: Viewer, reference: str, comment: str = "") -> Proposal:
        """Record that the proposer withdrew (told by mail or phone)."""
        self._actionable(viewer, reference)
        return move_proposal(self.store, reference, expected=OPEN_STATES, to_state="withdrawn",
                             author=viewer.username or "", comment=comment)

    def stats(self, viewer: Viewer) -> dict[str, Any]:
        """Counts by state and the median days from receipt to decision, per division, over
        the proposals this viewer may see."""
        visible = [p for p in list_proposals(self.store) if may_see_proposal(viewer, p.division)]
        by_division: dict[str, list[Proposal]] = {}
        for proposal in visible:
            by_division.setdefault(proposal.division or "unassigned", []).append(proposal)
        return {
            "total": len(visible),
            "states": {s: sum(p.state == s for p in visible) for s in PROPOSAL_STATES},
            "median_days_to_decision": _median_days(visible),
            "divisions": [
                {"division": code, "proposals": len(items),
                 "decided": sum(p.state in DECISIONS for p in items),
                 "states": {s: n for s in PROPOSAL_STATES
                            if (n := sum(p.state == s for p in items))},
                 "median_days_to_decision": _median_days(items)}
                for code, items in sorted(by_division.items())
            ],
            "median_days_in_state": {
                state: round(median(days), 2)
                for state in OPEN_STATES
                if (days := [d for p in visible for s, d in self.durations(p) if s == state])
            },
        }

    def _actionable(self, viewer: Viewer, reference: str) -> Proposal:
        proposal = self.get(viewer, reference)
        if not viewer.signed_in:
            raise Forbidden("Sign in to work on proposals.")
        return proposal

    def _reviewer(self, viewer: Viewer) -> None:
        if not may_review(viewer):
            raise Forbidden("Only reviewers and admins screen and assign proposals.")


def _need_comment(reference: str, comment: str, what: str) -> None:
    if not (comment or "").strip():
        raise ValidationError([Problem(reference, "comment", f"required: {what}")])


def _median_days(items: list[Proposal]) -> float | None:
    days = [days_between(p.created_at, p.decided_at) for p in items if p.decided_at]
    return round(median(days), 2) if days else None


_SYSTEM = Viewer("channelling", frozenset({"reviewer"}))
