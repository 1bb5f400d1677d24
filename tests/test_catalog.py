import random
from collections import Counter

import numpy as np

from kmsearch.access import ANONYMOUS, Viewer, can_see
from kmsearch.documents import documents_for
from kmsearch.filters import Filters
from kmsearch.index.catalog import FACET_NAMES, Catalog
from kmsearch.records import CaseNote, Lesson, Partner

DIVISIONS = ["transport", "trade", "statistics", "environment"]
NEXUS = ["natural-resources", "smart-cities", "mobility-connectivity", "measuring-sdgs"]
PTYPES = ["joint-project", "data-sharing", "financial-contribution"]
PARTNERS = ["business", "academia", "ngo"]
STATUSES = ["proposed", "active", "completed", "discontinued"]
KINDS = ["good-practice", "lesson", "pitfall"]


def random_note(rng: random.Random, n: int) -> CaseNote:
    start = rng.randint(2016, 2024)
    note = CaseNote(
        id=f"note-{n}",
        title=f"Note {n}",
        division=rng.choice(DIVISIONS),
        partners=[Partner(f"P{n}", t) for t in rng.sample(PARTNERS, rng.randint(1, 2))],
        partnership_types=rng.sample(PTYPES, rng.randint(1, 2)),
        nexus_areas=rng.sample(NEXUS, rng.randint(1, 2)),
        sdgs=rng.sample(range(1, 18), rng.randint(1, 3)),
        start_year=start,
        end_year=rng.choice([None, start + rng.randint(0, 3)]),
        status=rng.choice(STATUSES),
        good_practice=rng.random() < 0.3,
        visibility=rng.choice(["public", "internal", "restricted"]),
    )
    note.lessons = [Lesson(note.id, i, rng.choice(KINDS), f"text {i}") for i in (1, 2)]
    return note


def random_filters(rng: random.Random) -> Filters:
    pick = lambda values: tuple(rng.sample(values, rng.randint(0, 2)))  # noqa: E731
    year_from = rng.choice([None, rng.randint(2015, 2025)])
    return Filters(
        division=pick(DIVISIONS),
        nexus=pick(NEXUS),
        sdg=pick(list(range(1, 18))),
        partnership_type=pick(PTYPES),
        partner_type=pick(PARTNERS),
        status=pick(STATUSES),
        kind=pick(KINDS),
        type=pick(["case", "lesson"]),
        year_from=year_from,
        year_to=rng.choice([None, (year_from or 2015) + rng.randint(0, 4)]),
        good_practice=rng.random() < 0.2,
    )


VIEWERS = [
    ANONYMOUS,
    Viewer("staff", frozenset({"viewer"})),
    Viewer("c", frozenset({"contributor"}), frozenset({"transport"})),
    Viewer("r", frozenset({"reviewer"})),
]


def test_catalog_mask_equals_the_python_predicates_on_random_documents():
    rng = random.Random(7)
    docs = [doc for n in range(150) for doc in documents_for(random_note(rng, n))]
    catalog = Catalog(docs)
    for _ in range(300):
        filters = random_filters(rng) if rng.random() < 0.8 else Filters()
        viewer = rng.choice(VIEWERS)
        mask = catalog.mask(filters, viewer)
        expected = [
            filters.matches(d) and can_see(viewer, d.visibility, d.division) for d in docs
        ]
        assert mask.tolist() == expected


def test_facet_counts_count_only_the_given_rows():
    rng = random.Random(3)
    docs = [doc for n in range(40) for doc in documents_for(random_note(rng, n))]
    catalog = Catalog(docs)
    rows = np.flatnonzero(catalog.mask(Filters(type=("case",)), ANONYMOUS))
    counts = catalog.facet_counts(rows)
    public_cases = [d for d in docs if d.type == "case" and d.visibility == "public"]
    assert sum(counts["division"].values()) == len(public_cases)
    assert counts["type"] == {"case": len(public_cases)}
    for division in DIVISIONS:
        expected = sum(d.division == division for d in public_cases)
        assert counts["division"].get(division, 0) == expected
    assert "restricted" not in {d.visibility for d in (docs[r] for r in rows)}


def test_an_empty_catalog_masks_and_counts_nothing():
    catalog = Catalog([])
    assert catalog.mask(Filters(), ANONYMOUS).tolist() == []
    assert catalog.facet_counts(np.array([], dtype=np.int64))["division"] == {}


def test_a_catalog_rebuilt_from_a_previous_one_equals_one_built_afresh():
    rng = random.Random(11)
    notes = [random_note(rng, n) for n in range(60)]
    groups = {note.id: documents_for(note) for note in notes}
    first = Catalog(d for docs in groups.values() for d in docs)
    changed = random_note(rng, 5)
    changed.visibility, changed.division = "restricted", "statistics"
    groups["note-5"] = documents_for(changed)
    del groups["note-7"]
    reused = Catalog((d for docs in groups.values() for d in docs), previous=first)
    fresh = Catalog(d for docs in groups.values() for d in docs)
    viewer = Viewer("c", frozenset({"contributor"}), frozenset({"statistics"}))
    for filters in (Filters(), Filters(division=("statistics",)), random_filters(rng)):
        for who in (ANONYMOUS, viewer):
            assert reused.mask(filters, who).tolist() == fresh.mask(filters, who).tolist()
    rows = np.arange(len(reused))
    assert reused.facet_counts(rows) == fresh.facet_counts(rows)


def test_facet_counts_of_few_or_many_rows_equal_a_count_of_each_rows_values():
    rng = random.Random(5)
    docs = [doc for n in range(120) for doc in documents_for(random_note(rng, n))]
    catalog = Catalog(docs)
    for size in (1, 7, len(docs) // 5, len(docs) // 2, len(docs)):  # both ways of counting
        rows = np.array(sorted(rng.sample(range(len(docs)), size)), dtype=np.int64)
        expected: dict[str, Counter] = {name: Counter() for name in FACET_NAMES}
        for row in rows:
            for name, value in Catalog._columns_of(docs[row]):
                if name in expected:
                    expected[name][value] += 1
        assert catalog.facet_counts(rows) == {name: dict(c) for name, c in expected.items()}


def test_a_visibility_mask_handed_out_and_narrowed_does_not_change_the_next_one():
    rng = random.Random(9)
    catalog = Catalog(doc for n in range(30) for doc in documents_for(random_note(rng, n)))
    first = catalog.visible(ANONYMOUS)
    expected = first.tolist()
    first[:] = False
    assert catalog.visible(ANONYMOUS).tolist() == expected
