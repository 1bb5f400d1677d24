"""Partner names that differ only in case, punctuation, legal form, accents or script are one
partner; different organisations stay apart; reviewers' merges and splits are undone cleanly."""

import pytest

from kmsearch.access import staff
from kmsearch.config import Settings
from kmsearch.errors import Conflict, Forbidden
from kmsearch.library import Library
from kmsearch.partners import partner_key, partner_slug
from kmsearch.records import CaseNote, Partner

SAME = [
    ("ACME GmbH", "Acme"),
    ("ACMÉ, Inc.", "acme inc"),
    ("Rossi S.p.A.", "ROSSI SPA"),
    ("Holland Dredging B. V.", "Holland Dredging BV"),
    ("Kowalski Sp. z o.o.", "Kowalski"),
    ("Müller GmbH & Co. KG", "Müller"),
    ("ООО «Ромашка»", "Romashka LLC"),
    ("Северсталь", "Severstal PJSC"),
    ("The Coca-Cola Company", "Coca Cola"),
    ("Caldwell & Moreau LLP", "Caldwell and Moreau"),
    ("Škoda Auto a.s.", "Skoda Auto"),
    ("Nestlé S.A.", "NESTLE SA"),
    ("Siemens AG", "siemens"),
    ("Tesco plc", "TESCO PLC."),
    ("Volvo AB", "Volvo"),
    ("Nokia Oyj", "Nokia"),
    ("Continental Vehicle Manufacturers Association",
     "continental vehicle manufacturers association"),
    ("Telefónica, S.A.", "Telefonica"),
    ("L'Oréal S.A.", "L'Oreal"),
    ("Ørsted A/S", "Orsted"),
    ("Groupe Renault S.A.S.", "Groupe Renault"),
    ("Grimwald Arms Trading Ltd.", "grimwald arms trading limited"),
    ("Новатэк", "Novatek PAO"),
    ("Alpina Telecom Ltd", "Alpina  Telecom"),
    ("JSC Norda Gas", "Norda Gas"),
    ("Lindqvist Family Foundation", "LINDQVIST FAMILY FOUNDATION"),
]
DIFFERENT = [
    ("Acme", "Acme Logistics"),
    ("Norda Gas", "Norda Power"),
    ("Caldwell & Moreau LLP", "Caldwell"),
    ("Alpina Telecom", "Alpine Telecom"),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_spellings_of_one_organisation_share_a_key_and_a_slug(one, other):
    assert partner_key(one) == partner_key(other) != ""
    assert partner_slug(one) == partner_slug(other)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_organisations_keep_different_keys(one, other):
    assert partner_key(one) != partner_key(other)


def test_slugs_are_lower_case_ascii_with_dashes():
    assert partner_slug("Nestlé S.A.") == "nestle"
    assert partner_slug("Caldwell & Moreau LLP") == "caldwell-and-moreau"
    assert partner_slug("ООО «Ромашка»") == "romashka"
    assert partner_slug("Ltd") == "ltd"


def note(case_id, partner, division="trade", visibility="public"):
    return CaseNote(id=case_id, title=f"Note {case_id}", division=division, status="active",
                    partners=[Partner(partner, "business")], visibility=visibility,
                    start_year=2020, summary="A partnership.")


@pytest.fixture
def library(tmp_path):
    library = Library(Settings(db_path=tmp_path / "db.sqlite", index_dir=tmp_path / "idx"))
    for case_id, partner, division, visibility in (
        ("one", "Mueller Logistik GmbH", "trade", "public"),
        ("two", "Müller Logistik", "transport", "public"),
        ("three", "Muller Logistik AG", "statistics", "restricted"),
        ("four", "Delta Ltd", "trade", "public"),
        ("five", "Delta GmbH", "environment", "public"),
    ):
        library.store.save_case(note(case_id, partner, division, visibility), author="t")
    yield library
    library.store.close()


REVIEWER = staff("rita", "reviewer")


def test_a_profile_gathers_every_visible_engagement_across_divisions(library):
    partners = library.partners
    profile = partners.profile("muller-logistik", REVIEWER)
    assert {s.id for s in profile.cases} == {"two", "three"}
    assert profile.divisions == ["statistics", "transport"]
    public = partners.profile("muller-logistik", staff("anon-like"))
    assert {s.id for s in public.cases} == {"two"}
    assert "Muller Logistik AG" not in public.names


def test_a_restricted_notes_partner_has_no_public_profile(library):
    library.store.save_case(note("six", "Hidden Mining Corp", "trade", "restricted"), author="t")
    from kmsearch.access import ANONYMOUS
    from kmsearch.errors import NotFound

    with pytest.raises(NotFound):
        library.partners.profile("hidden-mining", ANONYMOUS)
    assert "hidden-mining" not in {p.slug for p in library.partners.directory(ANONYMOUS)}
    assert library.partners.profile("hidden-mining", REVIEWER).cases[0].id == "six"


def test_a_merge_joins_spellings_and_undoing_it_restores_both(library):
    partners = library.partners
    assert partners.slug_for("Mueller Logistik GmbH") == "mueller-logistik"
    change = partners.merge(REVIEWER, "mueller-logistik", "muller-logistik", "same company")
    merged = partners.profile("muller-logistik", REVIEWER)
    assert {s.id for s in merged.cases} == {"one", "two", "three"}
    assert partners.moved_to("mueller-logistik") == "muller-logistik"
    partners.undo(REVIEWER, change.id, "not the same after all")
    assert {s.id for s in partners.profile("muller-logistik", REVIEWER).cases} == {"two", "three"}
    assert {s.id for s in partners.profile("mueller-logistik", REVIEWER).cases} == {"one"}
    with pytest.raises(Conflict):
        partners.undo(REVIEWER, change.id)
    history = partners.changes(REVIEWER)
    assert [c.action for c in history] == ["undo", "merge"]
    assert history[1].undone_by == history[0].id and history[0].author == "rita"


def test_a_split_separates_one_spelling_and_is_reversible(library):
    partners = library.partners
    assert {s.id for s in partners.profile("delta", REVIEWER).cases} == {"four", "five"}
    change = partners.split(REVIEWER, "Delta GmbH", "a different Delta")
    assert partners.slug_for("Delta GmbH") == "delta-gmbh"
    assert {s.id for s in partners.profile("delta", REVIEWER).cases} == {"four"}
    assert {s.id for s in partners.profile("delta-gmbh", REVIEWER).cases} == {"five"}
    partners.undo(REVIEWER, change.id)
    assert partners.slug_for("Delta GmbH") == "delta"


def test_only_reviewers_merge_and_split(library):
    cora = staff("cora", "contributor", divisions=("trade",))
    with pytest.raises(Forbidden):
        library.partners.merge(cora, "delta", "muller-logistik")
    with pytest.raises(Forbidden):
        library.partners.split(cora, "Delta GmbH")


def test_a_screening_past_its_expiry_is_flagged_on_the_partner_profile(library):
    from datetime import UTC, date, datetime

    from kmsearch.store.screenings import save_screening
    from kmsearch.workflow.screening import Facts, screening_row

    answers = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
    for when in (datetime(2023, 1, 10, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC)):
        save_screening(library.store, screening_row(
            library.due_diligence, subject_type="case", subject_id="four", division="trade",
            facts=Facts("Delta Ltd", "business", emblem=True), path="full",
            answers=answers | {"litigation": "no", "global-compact": "yes", "governance": "yes"},
            author="rita", when=when))
    old = library.partners.profile("delta", REVIEWER, today=date(2026, 6, 1))
    assert [s.expires_on for s in old.screenings] == [date(2027, 1, 10), date(2024, 1, 10)]
    assert old.expired == []  # the newest screening of the note holds until 2027
    later = library.partners.profile("delta", REVIEWER, today=date(2027, 2, 1))
    assert [s.expires_on for s in later.expired] == [date(2027, 1, 10)]
    assert library.partners.profile("delta", staff("cora", "contributor",
                                                   divisions=("environment",))).screenings == []
