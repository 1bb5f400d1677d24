"""Partner profiles: every engagement with one organisation across divisions (case notes,
proposals, their lessons and screenings) as one viewer may see it, and reviewers' merges and
splits of partners, each reversible."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from ..access import Viewer
from ..errors import Forbidden, NotFound, Problem, ValidationError
from ..partners import name_words, partner_slug
from ..records import Lesson
from ..store.cases import StoredCase
from ..store.partners import PartnerChange, PartnerMap
from ..store.proposals import Proposal, list_proposals
from ..store.screenings import Screening, all_screenings
from .permissions import may_review, may_see_case_screening, may_see_proposal

if TYPE_CHECKING:
    from .parts import LibraryParts

LESSON_ORDER = {"pitfall": 0, "lesson": 1, "good-practice": 2}


@dataclass
class PartnerProfile:
    """One partner as a viewer may see it; empty lists where the viewer may see nothing."""

    slug: str
    spellings: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    cases: list[StoredCase] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    screenings: list[Screening] = field(default_factory=list)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())

    @property
    def name(self) -> str:
        """The spelling used most often (the first alphabetically on a tie)."""
        return min(self.spellings, key=lambda n: (-self.spellings[n], n)) if self.spellings \
            else self.slug

    @property
    def names(self) -> list[str]:
        return sorted(self.spellings)

    @property
    def divisions(self) -> list[str]:
        found = [s.note.division for s in self.cases] + [p.division for p in self.proposals]
        return sorted({d for d in found if d})

    @property
    def lessons(self) -> list[tuple[Lesson, StoredCase]]:
        """The lessons of its case notes, pitfalls first."""
        found = [(lesson, s) for s in self.cases for lesson in s.note.lessons]
        return sorted(found, key=lambda item: LESSON_ORDER.get(item[0].kind, 3))

    @property
    def expired(self) -> list[Screening]:
        """Screenings in force (the newest of their subject) whose expiry date has passed."""
        newest: dict[tuple[str, str], Screening] = {}
        for s in self.screenings:
            newest.setdefault((s.subject_type, s.subject_id), s)
        return [s for s in newest.values() if s.expired(self.today)]

    @property
    def engagements(self) -> int:
        return len(self.cases) + len(self.proposals)


class Partners:
    """Partner profiles and the reviewers' corrections of partner matching."""

    def __init__(self, library: LibraryParts):
        self.library = library
        self.map = PartnerMap(library.store)

    def slug_for(self, name: str) -> str:
        return self.map.resolver()(name)

    def resolver(self):
        """A function name -> slug over one reading of the overrides (for a whole page)."""
        return self.map.resolver()

    def directory(self, viewer: Viewer, today: date | None = None) -> list[PartnerProfile]:
        """Every partner with an engagement this viewer may see, by name."""
        profiles = self._collect(viewer, today).values()
        return sorted(profiles, key=lambda p: p.name.casefold())

    def profile(self, slug: str, viewer: Viewer, today: date | None = None) -> PartnerProfile:
        """One partner, or NotFound when the viewer may see no engagement with it."""
        found = self._collect(viewer, today).get(slug)
        if found is None:
            raise NotFound(f"No partner {slug!r}.")
        return found

    def moved_to(self, slug: str) -> str | None:
        """Where a partner's old address now leads after a merge, if anywhere else."""
        resolve = self.map.resolver()
        for name in self._all_names():
            if partner_slug(name) == slug and resolve(name) != slug:
                return resolve(name)
        return None

    def earlier(self, name: str, viewer: Viewer,
                except_reference: str = "") -> PartnerProfile | None:
        """The partner named ``name`` with its other engagements, or None if it has none."""
        try:
            found = self.profile(self.slug_for(name), viewer)
        except NotFound:
            return None
        found.proposals = [p for p in found.proposals if p.reference != except_reference]
        found.screenings = [s for s in found.screenings
                            if (s.subject_type, s.subject_id) != ("proposal", except_reference)]
        return found if found.engagements else None

    def merge(self, viewer: Viewer, source: str, target: str, comment: str = "") -> PartnerChange:
        """Put every name of partner ``source`` under partner ``target``; reviewers only."""
        self._require_reviewer(viewer)
        if not target.strip():
            raise ValidationError([Problem("merge", "target", "choose the partner to merge into")])
        return self.map.merge(self._all_names(), source, target.strip(),
                              author=viewer.username or "", comment=comment)

    def split(self, viewer: Viewer, name: str, comment: str = "") -> PartnerChange:
        """Make one spelling its own partner; reviewers only."""
        self._require_reviewer(viewer)
        if name not in self._all_names():
            raise NotFound(f"No partner is spelt {name!r}.")
        current = self.slug_for(name)
        slug = "-".join(name_words(name))[:80] or "partner"
        while slug == current or slug in {self.slug_for(n) for n in self._all_names()
                                           if n != name}:
            slug += "-2"
        return self.map.split(name, slug, author=viewer.username or "", comment=comment)

    def undo(self, viewer: Viewer, change_id: int, comment: str = "") -> PartnerChange:
        self._require_reviewer(viewer)
        return self.map.undo(change_id, author=viewer.username or "", comment=comment)

    def changes(self, viewer: Viewer) -> list[PartnerChange]:
        self._require_reviewer(viewer)
        return self.map.changes()

    def _require_reviewer(self, viewer: Viewer) -> None:
        if not may_review(viewer):
            raise Forbidden("Only reviewers and admins merge and split partners.")

    def _all_names(self) -> list[str]:
        store = self.library.store
        return self.map.case_partner_names() + [p.organisation for p in list_proposals(store)]

    def _collect(self, viewer: Viewer, today: date | None) -> dict[str, PartnerProfile]:
        resolve = self.map.resolver()
        profiles: dict[str, PartnerProfile] = {}

        def profile(name: str) -> PartnerProfile:
            slug = resolve(name)
            if slug not in profiles:
                profiles[slug] = PartnerProfile(slug, **({"today": today} if today else {}))
            return profiles[slug]

        cases = {stored.id: stored for stored in self.library.cases(viewer)}
        for stored in cases.values():
            for partner in stored.note.partners:
                found = profile(partner.name)
                found.spellings[partner.name] += 1
                found.types[partner.type] += 1
                if stored not in found.cases:
                    found.cases.append(stored)
        store = self.library.store
        visible = {p.reference: p for p in list_proposals(store)
                   if may_see_proposal(viewer, p.division)}
        for proposal in visible.values():
            found = profile(proposal.organisation)
            found.spellings[proposal.organisation] += 1
            found.types[proposal.partner_type] += 1
            found.proposals.append(proposal)
        for screening in all_screenings(store):
            if screening.subject_type == "proposal":
                allowed = screening.subject_id in visible
            else:
                allowed = screening.subject_id in cases and may_see_case_screening(
                    viewer, cases[screening.subject_id].note.division)
            slug = resolve(screening.partner)
            if allowed and slug in profiles:
                profiles[slug].screenings.append(screening)
        return profiles
