"""Key actions: seeded from the management response, edited by reviewers with a full history,
dated progress updates with evidence, the derived recommendation status, overdue, migration."""

import sqlite3
from dataclasses import replace
from datetime import date

import pytest
from monitoring_library import READER, REVIEWER, build_monitoring_library
from sqlite_utils import Database

from kmsearch.errors import Forbidden, ValidationError
from kmsearch.files.responses import load_evaluations
from kmsearch.library import Library
from kmsearch.store.cases import Store
from kmsearch.store.followup import FollowUp, derived_status
from kmsearch.store.migrations import MIGRATIONS, migrate

REC5 = "private-sector-2021/5"


@pytest.fixture
def library(tmp_path):
    library = Library(build_monitoring_library(tmp_path, restricted=False))
    yield library
    library.store.close()


def table_counts(library) -> dict[str, int]:
    db = library.store.db
    return {t: db[t].count for t in ("actions", "action_updates", "action_history")}


def test_each_recommendation_starts_with_the_key_action_its_response_states(library):
    evaluation = library.store.get_evaluation("private-sector-2021")
    assert len(evaluation.recommendations) == 8
    for rec in evaluation.recommendations:
        (action,) = library.monitoring.followup.actions(rec.id)
        assert action.text == " ".join(rec.actions.split())
        assert action.responsible_unit == rec.responsibility
        assert action.due_date == rec.timeline and action.due_date.year in (2022, 2023)
        assert (action.source, action.status, rec.status) == ("response", "not-started",
                                                            "not-started")


def test_with_today_2026_11_30_all_eight_are_overdue_until_their_actions_are_completed(library):
    assert library.monitoring.today() == date(2026, 11, 30)
    rows = library.monitoring.rows()
    assert len(rows) == 8 and all(len(row.overdue) == 1 for row in rows.values())
    for n in range(1, 9):
        rec_id = f"private-sector-2021/{n}"
        action = library.monitoring.followup.actions(rec_id)[0]
        library.monitoring.edit_action(REVIEWER, rec_id, action.id, {"status": "completed"})
        overdue = [r for r in library.monitoring.rows().values() if r.overdue]
        assert len(overdue) == 8 - n
    assert {r.status for r in library.monitoring.rows().values()} == {"implemented"}


def test_status_is_derived_from_the_actions(library):
    monitoring = library.monitoring
    first = monitoring.followup.actions(REC5)[0]
    second = monitoring.add_action(REVIEWER, REC5, {
        "text": "Publish due diligence guidance for low-risk engagements",
        "responsible_unit": "PMU", "due_date": "2027-03-31", "status": "not-started"})
    status = lambda: library.store.get_recommendation(REC5).status  # noqa: E731
    assert status() == "not-started"
    monitoring.add_update(REVIEWER, REC5, second.id, {"date": "2026-11-02", "text": "Drafted",
                                                      "status": "in-progress"})
    assert status() == "in-progress"
    monitoring.edit_action(REVIEWER, REC5, first.id, {"status": "no-longer-applicable"})
    assert status() == "in-progress"
    monitoring.edit_action(REVIEWER, REC5, second.id, {"status": "completed"})
    assert status() == "implemented"
    assert derived_status(["no-longer-applicable"] * 2) == "no-longer-applicable"
    assert derived_status([]) == "not-started"


def test_progress_updates_are_dated_with_evidence_and_every_change_is_in_the_history(library):
    monitoring = library.monitoring
    action = monitoring.followup.actions(REC5)[0]
    monitoring.add_update(REVIEWER, REC5, action.id, {
        "date": "2026-10-01", "text": "Due diligence review started.",
        "evidence_url": "https://unece.org/due-diligence", "status": "in-progress"})
    monitoring.add_update(REVIEWER, REC5, action.id, {
        "date": "2026-11-15", "text": "Checklist adopted.",
        "evidence_case_id": "road-safety-campaign-sponsorship"})
    monitoring.edit_action(REVIEWER, REC5, action.id, {"due_date": "2027-06-30",
                                                       "responsible_unit": "PMU"})
    action = monitoring.followup.actions(REC5)[0]
    assert [(u.date.isoformat(), u.status) for u in action.updates] == [
        ("2026-10-01", "in-progress"), ("2026-11-15", "in-progress")]
    assert action.updates[0].evidence_url == "https://unece.org/due-diligence"
    assert action.updates[1].evidence_case_id == "road-safety-campaign-sponsorship"
    assert (action.due_date, action.version) == (date(2027, 6, 30), 4)
    history = monitoring.followup.history(REC5)
    assert [h.change for h in history] == ["created", "progress", "progress", "edited"]
    assert history[-1].author == "rita"
    assert history[-1].changes["due_date"] == ["2023-12-31", "2027-06-30"]
    assert history[-1].changes["responsible_unit"][0].startswith("Deputy-Executive Secretary")
    assert not monitoring.followup.actions(REC5)[0].overdue(date(2026, 11, 30))


def test_bad_input_gets_a_clear_message_and_changes_nothing(library):
    monitoring, before = library.monitoring, table_counts(library)
    action = monitoring.followup.actions(REC5)[0]
    cases = [
        (lambda: monitoring.add_action(REVIEWER, REC5, {"text": "x", "due_date": "next spring"}),
         "due_date", "expected a date such as 2026-12-31"),
        (lambda: monitoring.edit_action(REVIEWER, REC5, action.id, {"status": "done"}),
         "status", "expected one of not-started, in-progress, completed"),
        (lambda: monitoring.add_update(REVIEWER, REC5, action.id, {
            "text": "x", "evidence_url": "javascript:alert(1)"}),
         "evidence_url", "expected an http:// or https:// address"),
        (lambda: monitoring.add_update(REVIEWER, "private-sector-2021/4", action.id,
                                       {"text": "x"}),
         "action", "belongs to recommendation private-sector-2021/5"),
        (lambda: monitoring.add_update(REVIEWER, REC5, action.id, {
            "text": "x", "evidence_case_id": "no-such-note"}),
         "evidence_case_id", "no case note with id 'no-such-note'"),
        (lambda: monitoring.add_update(REVIEWER, REC5, action.id, {
            "text": "x", "date": "2026-12-25"}),
         "date", "cannot be dated after today"),
    ]
    for call, field, message in cases:
        with pytest.raises(ValidationError) as caught:
            call()
        problem = caught.value.problems[0]
        assert problem.field == field and message in problem.message, problem
    with pytest.raises(Forbidden):
        monitoring.add_update(READER, REC5, action.id, {"text": "x"})
    assert table_counts(library) == before
    assert library.store.get_recommendation(REC5).status == "not-started"


def test_reimport_is_idempotent_and_never_clobbers_reviewers_edits(library):
    store, monitoring = library.store, library.monitoring
    evaluation = load_evaluations(library.settings.corpus_dir / "evaluations")[0]
    edited = monitoring.followup.actions(REC5)[0]
    monitoring.edit_action(REVIEWER, REC5, edited.id, {"text": "Reviewer's wording."})
    assert store.save_evaluation(evaluation) == "unchanged"
    changed = replace(evaluation, recommendations=[
        replace(rec, actions=rec.actions + " Revised.", timeline=date(2024, 6, 30))
        for rec in evaluation.recommendations])
    assert store.save_evaluation(changed) == "updated"
    assert store.save_evaluation(changed) == "unchanged"
    assert library.store.db["actions"].count == 8
    kept = monitoring.followup.actions(REC5)[0]
    assert (kept.text, kept.due_date) == ("Reviewer's wording.", date(2023, 12, 31))
    refreshed = monitoring.followup.actions("private-sector-2021/6")[0]
    assert refreshed.text.endswith("Revised.") and refreshed.due_date == date(2024, 6, 30)
    changes = [h.change for h in monitoring.followup.history("private-sector-2021/6")]
    assert changes == ["created", "refreshed"]


def test_the_migration_carries_statuses_and_progress_notes_over(tmp_path):
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path))
    migrate(db, path, MIGRATIONS[:2])
    db["evaluations"].insert({"id": "ev", "title": "T", "period": "2017-2021",
                              "date": "2021-09-27", "is_default": 1, "content_hash": "x"})
    for n, status in ((1, "implemented"), (2, "in-progress"), (3, "not-started")):
        db["recommendations"].insert({
            "id": f"ev/{n}", "evaluation_id": "ev", "number": n, "text": f"Do {n}.",
            "response": "accepted", "actions": f"Action {n}.", "responsibility": "PMU",
            "timeline": "2023-12-31", "status": status})
    db["progress_notes"].insert({"recommendation_id": "ev/1", "date": "2022-05-01",
                                 "status": "implemented", "text": "Done.", "author": "pmu",
                                 "created_at": "2022-05-01T10:00:00+00:00"})
    db.conn.commit()
    db.close()
    store = Store(path)  # opening it applies 0300_monitoring_actions
    actions = FollowUp(store).actions_by_recommendation()
    assert {k: [a.status for a in v] for k, v in actions.items()} == {
        "ev/1": ["completed"], "ev/2": ["in-progress"], "ev/3": ["not-started"]}
    (update,) = actions["ev/1"][0].updates
    assert (update.date, update.text, update.author) == (date(2022, 5, 1), "Done.", "pmu")
    assert [r.status for r in store.list_recommendations("ev")] == [
        "implemented", "in-progress", "not-started"]
    assert store.progress_notes("ev/1")[0].text == "Done."
    store.close()
