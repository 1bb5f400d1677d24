"""The SQLite store: schema, case notes with revisions, evaluations and their follow-up."""

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from kmsearch.errors import Conflict, NotFound, ValidationError
from kmsearch.records import CaseNote, Evaluation, Lesson, Partner, Recommendation
from kmsearch.store.cases import SaveResult, Store
from kmsearch.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[1]


def make_evaluation(**changes) -> Evaluation:
    recommendations = [
        Recommendation(
            evaluation_id="eval-2021", number=n, text=f"Recommendation {n} text.",
            response="accepted", response_text="UNECE accepts the recommendation.",
            actions=f"Action {n}.", responsibility="PMU", timeline=date(2023, 12, 31),
        )
        for n in (1, 2, 3)
    ]
    values = dict(
        id="eval-2021", title="Private sector evaluation", period="2017-2021",
        date=date(2021, 9, 27), recommendations=recommendations, default=True,
    )
    return Evaluation(**values | changes)


def make_note(case_id: str = "garment-traceability", **changes) -> CaseNote:
    values = dict(
        id=case_id,
        title="Traceability for garment value chains",
        division="trade",
        partners=[Partner("Aurelia Apparel", "business"), Partner("Textile Coalition", "ngo")],
        partnership_types=["joint-project", "standards-development"],
        nexus_areas=["natural-resources"],
        sdgs=[8, 12, 5],
        recommendations=["eval-2021/2", "eval-2021/3"],
        start_year=2019,
        end_year=2022,
        status="completed",
        good_practice=True,
        visibility="public",
        risk_level="medium",
        summary="A brand and an NGO piloted a traceability standard.",
        lessons=[
            Lesson(case_id, 1, "good-practice", "Pilot with a few brands first."),
            Lesson(case_id, 2, "pitfall", "Small suppliers could not afford the software."),
        ],
        body="## Context\n\nGarment value chains are long.",
        extra={"budget": {"usd": 120000}, "contacts": ["a@unece.org"]},
    )
    return CaseNote(**values | changes)


@pytest.fixture
def store(tmp_path) -> Store:
    store = Store(tmp_path / "instance" / "kmsearch.db")
    store.save_evaluation(make_evaluation())
    yield store
    store.close()


def set_state(store: Store, case_id: str, state: str, **changes) -> SaveResult:
    """A note moved to ``state`` at the store's level (the Library does this and re-indexes)."""
    stored = store.get_case(case_id)
    return store.save_case(stored.note, state=state, expected_revision=stored.revision, **changes)


def dump(store: Store) -> list[str]:
    return list(store.db.iterdump())


def test_new_store_creates_its_folder_schema_and_pragmas(tmp_path):
    store = Store(tmp_path / "new" / "folder" / "kmsearch.db")
    assert (tmp_path / "new" / "folder" / "kmsearch.db").exists()
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert set(store.db.table_names()) >= {
        "meta", "cases", "partners", "lessons", "case_nexus", "case_sdgs",
        "case_partnership_types", "case_recommendations", "evaluations", "recommendations",
        "progress_notes", "revisions",
    }
    assert [row[0] for row in store.db.execute("SELECT name FROM _migrations ORDER BY rowid")] == [
        name for name, _ in MIGRATIONS
    ]


def test_reopening_a_store_keeps_its_data(store):
    store.save_case(make_note(), author="alice")
    store.close()
    reopened = Store(store.path)
    assert reopened.get_case("garment-traceability").note == make_note()
    assert reopened.db["_migrations"].count == len(MIGRATIONS)


def test_a_database_from_a_newer_kmsearch_is_refused(tmp_path):
    with Store(tmp_path / "k.db").write() as db:
        db.execute("INSERT INTO _migrations VALUES ('9999_from_the_future', '2030-01-01')")
    with pytest.raises(RuntimeError, match="9999_from_the_future"):
        Store(tmp_path / "k.db")


def test_saved_case_round_trips_every_field(store):
    note = make_note()
    result = store.save_case(note, author="alice", comment="first draft", state="draft")
    assert (result.action, result.revision) == ("created", 1)
    stored = store.get_case(note.id)
    assert stored.note == note
    assert stored.note.content_hash() == note.content_hash() == stored.content_hash
    assert (stored.state, stored.revision, stored.author, stored.origin) == (
        "draft", 1, "alice", "web"
    )
    assert stored.created_at == stored.updated_at
    assert len(stored.created_at) == 25 and stored.created_at.endswith("+00:00")
    row = store.db["cases"].get(note.id)
    assert row["data"] == json.dumps(note.to_dict(), sort_keys=True, ensure_ascii=False)
    assert json.loads(row["extra"]) == note.extra
    assert (row["division"], row["good_practice"], row["risk_level"]) == ("trade", 1, "medium")


def test_child_rows_mirror_the_note(store):
    note = make_note()
    store.save_case(note, author="alice")
    db = store.db
    assert [(r["position"], r["name"], r["type"]) for r in db["partners"].rows] == [
        (1, "Aurelia Apparel", "business"), (2, "Textile Coalition", "ngo")
    ]
    assert [r["id"] for r in db["lessons"].rows] == [
        "garment-traceability--1", "garment-traceability--2"
    ]
    assert sorted(r["sdg"] for r in db["case_sdgs"].rows) == [5, 8, 12]
    assert [r["nexus_area"] for r in db["case_nexus"].rows] == ["natural-resources"]
    assert sorted(r["recommendation_id"] for r in db["case_recommendations"].rows) == [
        "eval-2021/2", "eval-2021/3"
    ]
    store.save_case(make_note(partners=[], sdgs=[13]), author="bob")
    assert db["partners"].count == 0
    assert [r["sdg"] for r in db["case_sdgs"].rows] == [13]


def test_saving_the_same_note_again_writes_nothing(store):
    store.save_case(make_note(), author="alice")
    before, changes = dump(store), store.db.conn.total_changes
    result = store.save_case(make_note(), author="bob", comment="no edits")
    assert (result.action, result.revision) == ("unchanged", 1)
    assert store.db.conn.total_changes == changes
    assert dump(store) == before


def test_an_update_keeps_the_previous_version_in_a_revision(store):
    store.save_case(make_note(), author="alice", comment="first")
    result = store.save_case(make_note(title="Traceability, revised"), author="bob",
                             comment="better title")
    assert (result.action, result.revision) == ("updated", 2)
    first, second = store.revisions("garment-traceability")
    assert (first.number, first.action, first.author, first.comment) == (1, "created", "alice",
                                                                         "first")
    assert first.note == make_note()
    assert (second.number, second.action, second.author, second.comment) == (
        2, "updated", "bob", "better title"
    )
    assert second.note.title == "Traceability, revised"
    assert store.revision("garment-traceability", 1) == first
    assert store.revision("garment-traceability", 3) is None
    stored = store.get_case("garment-traceability")
    assert (stored.author, stored.updated_by, stored.revision) == ("alice", "bob", 2)


def test_a_stale_expected_revision_is_a_conflict_naming_the_current_one(store):
    store.save_case(make_note(), author="alice")
    store.save_case(make_note(title="Edited by bob"), author="bob", expected_revision=1)
    before = dump(store)
    with pytest.raises(Conflict, match="revision 2, not 1"):
        store.save_case(make_note(title="Edited by carol"), author="carol", expected_revision=1)
    with pytest.raises(Conflict, match="revision 0, not 3"):
        store.save_case(make_note("brand-new"), author="carol", expected_revision=3)
    assert dump(store) == before


def test_a_rejected_save_writes_nothing_at_all(store):
    store.save_case(make_note(), author="alice")
    before = dump(store)
    broken = make_note(title="New title", recommendations=["eval-2021/9"])
    with pytest.raises(ValidationError, match="unknown recommendation 'eval-2021/9'"):
        store.save_case(broken, author="bob")
    with pytest.raises(ValidationError, match="state"):
        store.save_case(make_note(title="Other"), author="bob", state="deleted")
    assert dump(store) == before


def test_state_changes_each_add_a_revision_and_hide_the_note(store):
    store.save_case(make_note(), author="alice", state="submitted")
    assert set_state(store, "garment-traceability", "published", author="rev").revision == 2
    assert store.case_ids_for("division", "trade") == ["garment-traceability"]
    set_state(store, "garment-traceability", "archived", author="rev", comment="superseded")
    assert store.case_ids_for("division", "trade") == []
    assert list(store.iter_cases()) == []
    assert store.case_hashes() == {}
    assert [s.id for s in store.iter_cases(states=("archived",))] == ["garment-traceability"]
    set_state(store, "garment-traceability", "published", author="rev")
    actions = [(r.action, r.state) for r in store.revisions("garment-traceability")]
    assert actions == [("created", "submitted"), ("state", "published"),
                       ("archived", "archived"), ("restored", "published")]
    assert store.revisions("garment-traceability")[2].comment == "superseded"
    assert set_state(store, "garment-traceability", "published", author="rev").action == (
        "unchanged"
    )


def test_published_notes_are_listed_and_hashed_by_state(store):
    store.save_case(make_note("b-note"), author="alice")
    store.save_case(make_note("a-note"), author="alice")
    store.save_case(make_note("c-draft"), author="alice", state="draft")
    assert [s.id for s in store.iter_cases()] == ["a-note", "b-note"]
    assert [s.id for s in store.iter_cases(states=None)] == ["a-note", "b-note", "c-draft"]
    assert store.case_hashes() == {"a-note": make_note("a-note").content_hash(),
                                   "b-note": make_note("b-note").content_hash()}
    assert set(store.case_hashes(states=None)) == {"a-note", "b-note", "c-draft"}
    assert store.case_ids(origin="web", states=("draft",)) == ["c-draft"]
    assert store.case_ids(origin="corpus") == []


def test_lessons_are_found_by_their_own_id(store):
    store.save_case(make_note(), author="alice")
    lesson, stored = store.get_lesson("garment-traceability--2")
    assert (lesson.kind, lesson.position, stored.id) == ("pitfall", 2, "garment-traceability")
    assert store.get_lesson("garment-traceability--3") is None


def test_published_case_ids_for_every_link(store):
    store.save_case(make_note("one"), author="alice")
    store.save_case(make_note("two", sdgs=[13], nexus_areas=[], division="transport",
                              recommendations=["eval-2021/1"]), author="alice")
    store.save_case(make_note("draft-one"), author="alice", state="draft")
    assert store.case_ids_for("nexus", "natural-resources") == ["one"]
    assert store.case_ids_for("sdg", "13") == ["two"]
    assert store.case_ids_for("sdg", 5) == ["one"]
    assert store.case_ids_for("recommendation", "eval-2021/3") == ["one"]
    assert store.case_ids_for("partnership_type", "joint-project") == ["one", "two"]
    assert store.case_ids_for("division", "transport") == ["two"]
    with pytest.raises(ValueError, match="expected one of nexus, sdg"):
        store.case_ids_for("colour", "red")


def test_evaluations_round_trip_with_dates(store):
    evaluation = store.get_evaluation("eval-2021")
    assert evaluation == make_evaluation()
    assert evaluation.recommendations[0].timeline == date(2023, 12, 31)
    assert store.default_evaluation_id() == "eval-2021"
    assert store.recommendation_ids() == {"eval-2021/1", "eval-2021/2", "eval-2021/3"}
    assert store.get_recommendation("eval-2021/2").text == "Recommendation 2 text."
    assert store.get_recommendation("eval-2021/9") is None
    assert store.get_evaluation("nope") is None


def test_a_new_default_evaluation_replaces_the_old_one(store):
    other = make_evaluation(id="eval-2024", date=date(2024, 5, 1), recommendations=[],
                            default=False)
    assert store.save_evaluation(other) == "created"
    assert [e.id for e in store.list_evaluations()] == ["eval-2021", "eval-2024"]
    store.save_evaluation(make_evaluation(id="eval-2024", date=date(2024, 5, 1),
                                          recommendations=[]))
    assert store.default_evaluation_id() == "eval-2024"
    assert [e.id for e in store.list_evaluations()] == ["eval-2024", "eval-2021"]
    assert [r.id for r in store.list_recommendations("eval-2024")] == []
    assert len(store.list_recommendations()) == 3


def test_reimporting_an_evaluation_keeps_reviewers_statuses(store):
    store.set_recommendation_status("eval-2021/1", "in-progress", text="Started.", author="pmu")
    assert store.save_evaluation(make_evaluation()) == "unchanged"
    revised = make_evaluation()
    revised.recommendations[0].actions = "A clearer action."
    assert store.save_evaluation(revised) == "updated"
    recommendation = store.get_recommendation("eval-2021/1")
    assert (recommendation.actions, recommendation.status) == ("A clearer action.",
                                                               "in-progress")
    assert store.get_recommendation("eval-2021/2").status == "not-started"


def test_a_recommendation_still_linked_cannot_disappear_on_reimport(store):
    store.save_case(make_note(), author="alice")
    shorter = make_evaluation()
    shorter.recommendations = shorter.recommendations[:1]
    with pytest.raises(Conflict, match="eval-2021/2 is no longer in its evaluation"):
        store.save_evaluation(shorter)
    assert len(store.list_recommendations()) == 3
    store.save_case(make_note(recommendations=[]), author="alice")
    assert store.save_evaluation(shorter) == "updated"
    assert store.recommendation_ids() == {"eval-2021/1"}


def test_status_updates_add_dated_progress_notes(store):
    first = store.set_recommendation_status(
        "eval-2021/3", "in-progress", text="Terms of reference drafted.", author="pmu",
        date=date(2022, 3, 1),
    )
    store.set_recommendation_status("eval-2021/3", "implemented", text="Database live.",
                                    author="pmu")
    notes = store.progress_notes("eval-2021/3")
    assert notes[0] == first
    assert (first.date, first.status, first.author) == (date(2022, 3, 1), "in-progress", "pmu")
    assert [n.status for n in notes] == ["in-progress", "implemented"]
    assert isinstance(notes[1].date, date)
    assert store.get_recommendation("eval-2021/3").status == "implemented"
    with pytest.raises(ValidationError, match="expected one of not-started"):
        store.set_recommendation_status("eval-2021/3", "done", text="", author="pmu")
    with pytest.raises(NotFound):
        store.set_recommendation_status("eval-2021/9", "implemented", text="", author="pmu")
    assert store.progress_notes("eval-2021/1") == []


def test_counts_by_table_and_state(store):
    store.save_case(make_note("one"), author="alice")
    store.save_case(make_note("two"), author="alice", state="draft")
    set_state(store, "two", "submitted", author="alice")
    assert store.counts() == {
        "cases": 2, "lessons": 4, "partners": 4, "evaluations": 1, "recommendations": 3,
        "revisions": 3, "draft": 0, "submitted": 1, "published": 1, "archived": 0,
        "actions": 3, "action_updates": 0,  # each recommendation's key action from its response
    }


def test_threads_share_one_store_each_with_its_own_connection(store):
    errors, connections = [], set()

    def contribute(worker: int) -> None:
        connections.add(id(store.db))
        try:
            for n in range(10):
                store.save_case(make_note(f"note-{worker}-{n}"), author=f"worker-{worker}")
                assert store.get_case(f"note-{worker}-{n}").revision == 1
        except Exception as error:  # collected: an assert in a thread would be lost
            errors.append(error)

    threads = [threading.Thread(target=contribute, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.counts()["cases"] == 40
    assert len(connections) == 4 and id(store.db) not in connections


WRITER = """
import sys
from kmsearch.records import CaseNote
from kmsearch.store.cases import SaveResult, Store
from kmsearch.store.migrations import MIGRATIONS
store = Store(sys.argv[1])
for n in range(100000):
    store.save_case(CaseNote(id=f"note-{n}", title="t" * 2000, division="trade"), author="w")
    print(n, flush=True)
"""


def test_every_acknowledged_write_survives_a_killed_process(tmp_path):
    path = tmp_path / "kmsearch.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    acknowledged = [int(writer.stdout.readline()) for _ in range(200)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        saved = {row[0] for row in conn.execute("SELECT id FROM cases")}
        revisions = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
    assert {f"note-{n}" for n in acknowledged} <= saved
    assert revisions == len(saved)


def test_a_pending_revision_waits_beside_the_live_note_until_it_replaces_it(store):
    store.save_case(make_note(), author="corpus")
    changed = make_note(title="Traceability, revised", sdgs=[8])
    waiting = store.save_case(changed, author="tina", state="draft", pending=True,
                              expected_revision=1)
    live = store.get_case("garment-traceability")
    assert (live.revision, live.pending_revision, live.latest_revision) == (1, 2, 2)
    assert live.note.title == "Traceability for garment value chains" and waiting.revision == 2
    sdgs = [row[0] for row in store.db.execute("SELECT sdg FROM case_sdgs ORDER BY sdg")]
    assert sdgs == [5, 8, 12]  # the child rows stay the live note's
    assert store.save_case(changed, author="tina", state="draft", pending=True,
                           expected_revision=2).action == "unchanged"
    with pytest.raises(Conflict):
        store.save_case(changed, author="tom", state="draft", pending=True, expected_revision=1)

    archived = store.save_case(live.note, author="rita", state="archived", expected_revision=2)
    assert archived.revision == 3 and store.get_case("garment-traceability").pending_revision == 2
    store.save_case(live.note, author="ada", state="published", expected_revision=3)
    published = store.save_case(changed, author="rita", state="published", expected_revision=4,
                                replaces_pending=True)
    after = store.get_case("garment-traceability")
    assert (after.revision, after.pending_revision, after.note.title) == (
        5, None, "Traceability, revised")
    assert [row[0] for row in store.db.execute("SELECT sdg FROM case_sdgs")] == [8]
    assert published.revision == 5
    assert [r.pending for r in store.revisions("garment-traceability")] == [
        False, True, False, False, False]
