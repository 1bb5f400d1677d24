"""The newcomers' case library of good practices: its filters (read from the URL), and the case
notes that match them, as cards grouped by nexus area, recommendation, partnership type or
division."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import Problem, ValidationError
from ..filters import Filters, parse_filters
from ..library import StoredCase
from ..records import Lesson
from ..taxonomy import Taxonomy
from .lookups import proven

KINDS = {"good-practice": "Good practices", "lesson": "Lessons", "pitfall": "Pitfalls",
         "any": "Every kind of lesson"}
# what one and several of a kind are called in the page's count
COUNTED = {"good-practice": ("good practice", "good practices"), "lesson": ("lesson", "lessons"),
           "pitfall": ("pitfall", "pitfalls"), "any": ("lesson", "lessons")}
# group name -> (label, plural, the note's attribute holding the group's codes)
GROUPINGS = {"nexus": ("Nexus area", "nexus areas", "nexus_areas"),
             "recommendation": ("Recommendation", "recommendations", "recommendations"),
             "partnership_type": ("Partnership type", "partnership types", "partnership_types"),
             "division": ("Division", "divisions", "division")}
FILTERS = ("nexus", "division", "sdg")
OPEN_UP_TO = 6  # with this many cards or fewer, every group is shown open


@dataclass(frozen=True)
class PracticeFilters:
    """What the visitor chose: nexus areas, divisions and SDGs (none: all), a kind, a grouping."""

    filters: Filters = field(default_factory=Filters)
    kind: str = "good-practice"
    group: str = "nexus"


@dataclass
class PracticeCard:
    """One case note, with its lessons of the chosen kind."""

    stored: StoredCase
    lessons: list[Lesson]


@dataclass
class PracticeGroup:
    """The cards under one nexus area, recommendation, partnership type or division."""

    code: str
    cards: list[PracticeCard] = field(default_factory=list)

    @property
    def lesson_count(self) -> int:
        return sum(len(card.lessons) for card in self.cards)


def read_filters(args: Mapping[str, str], taxonomy: Taxonomy) -> PracticeFilters:
    """The filters of the URL (as the search page reads them; an empty choice means all); a
    value that is not one raises ValidationError naming the parameter and what it accepts."""
    chosen = {name: [v for v in args.getlist(name) if v.strip()] for name in FILTERS}
    problems, values = [], {}
    try:
        filters = parse_filters(chosen, taxonomy)
    except ValidationError as error:
        problems, filters = list(error.problems), Filters()
    for name, allowed, default in (("kind", KINDS, "good-practice"),
                                   ("group", GROUPINGS, "nexus")):
        raw = (args.get(name) or default).strip()
        if raw not in allowed:
            problems.append(Problem("query", name, f"unknown value {raw[:40]!r}; expected one "
                                    f"of {', '.join(allowed)}"))
        values[name] = raw if raw in allowed else default
    if problems:
        raise ValidationError(problems)
    return PracticeFilters(filters, **values)


def count_line(cards: list[PracticeCard], groups: list[PracticeGroup],
               chosen: PracticeFilters) -> str:
    """"12 good practices in 9 case notes, under 4 nexus areas"."""
    lessons = sum(len(card.lessons) for card in cards)
    one, many = COUNTED[chosen.kind]
    line = f"{lessons} {one if lessons == 1 else many} in {len(cards)} case " + (
        "note" if len(cards) == 1 else "notes")
    if groups:
        label, plural, _ = GROUPINGS[chosen.group]
        line += f", under {len(groups)} {label.lower() if len(groups) == 1 else plural}"
    return line


def practice_cards(cases: list[StoredCase], chosen: PracticeFilters) -> list[PracticeCard]:
    """The notes that match the filters, each with its lessons of the chosen kind; good
    practices come only from active and completed partnerships, flagged notes first."""
    pool = proven(cases) if chosen.kind == "good-practice" else cases
    cards = []
    for stored in sorted(pool, key=lambda s: (not s.note.good_practice, s.note.title.casefold())):
        note = stored.note
        wanted = chosen.filters
        if ((wanted.nexus and not set(wanted.nexus) & set(note.nexus_areas))
                or (wanted.division and note.division not in wanted.division)
                or (wanted.sdg and not set(wanted.sdg) & set(note.sdgs))):
            continue
        lessons = [lesson for lesson in note.lessons
                   if chosen.kind == "any" or lesson.kind == chosen.kind]
        flagged = note.good_practice and chosen.kind in ("good-practice", "any")
        if lessons or flagged:
            cards.append(PracticeCard(stored, lessons))
    return cards


def grouped(cards: list[PracticeCard], group: str, order: list[str]) -> list[PracticeGroup]:
    """The cards under each code of ``order`` that has any (a note may sit in several groups)."""
    attribute = GROUPINGS[group][2]
    groups = {code: PracticeGroup(code) for code in order}
    for card in cards:
        codes = getattr(card.stored.note, attribute)
        for code in [codes] if isinstance(codes, str) else codes:
            if code in groups:
                groups[code].cards.append(card)
    return [found for found in groups.values() if found.cards]
