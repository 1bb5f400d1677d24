"""Upgrading a database saved before migrations existed: kmsearch 6aa67a1 kept a ``meta`` table
with schema_version 1 and created the drafts table lazily. Opening it applies the migrations,
records them, and loses nothing."""

import sqlite3
from pathlib import Path

import pytest

from kmsearch.records import CaseNote
from kmsearch.store import accounts
from kmsearch.store.cases import Store
from kmsearch.store.drafts import Drafts
from kmsearch.store.migrations import MIGRATIONS

SAVED_V1 = Path(__file__).parent / "data" / "kmsearch-v1.sql"
TABLES = ("cases", "partners", "lessons", "case_nexus", "case_sdgs", "case_partnership_types",
          "case_recommendations", "evaluations", "recommendations", "progress_notes",
          "revisions", "users", "meta")


def restore(path: Path, *, with_drafts: bool) -> dict[str, tuple[str, list[tuple]]]:
    """The saved database at ``path`` (without its drafts table if asked); by table, the
    query that reads its version-1 columns and the rows it read."""
    with sqlite3.connect(path) as conn:
        conn.executescript(SAVED_V1.read_text(encoding="utf-8"))
        if not with_drafts:  # never used for contributions: the table was never created
            conn.executescript("DROP TABLE drafts; DROP INDEX cases_author;")
        saved = {}
        for table in TABLES:
            columns = ", ".join(row[1] for row in conn.execute(f"PRAGMA table_info({table})"))
            query = f"SELECT {columns} FROM {table} ORDER BY 1"
            saved[table] = (query, conn.execute(query).fetchall())
    conn.close()
    return saved


@pytest.mark.parametrize("with_drafts", [True, False], ids=["drafts-table", "no-drafts-table"])
def test_a_version_1_database_is_upgraded_with_nothing_lost(tmp_path, with_drafts):
    path = tmp_path / "kmsearch.db"
    before = restore(path, with_drafts=with_drafts)
    assert before["meta"][1] == [("schema_version", "1")] and len(before["cases"][1]) == 3

    store = Store(path)
    try:
        names = [row[0] for row in store.db.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert names == [name for name, _ in MIGRATIONS]
        assert names == sorted(names)  # a new migration takes a name after the last one
        for table, (query, rows) in before.items():  # later migrations may add columns
            assert store.db.execute(query).fetchall() == rows, table
        indexes = {row[0] for row in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"drafts_author", "drafts_case", "cases_author", "cases_state"} <= indexes

        etir = store.get_case("etir-logistics-pilot")
        assert etir.revision == 2 and etir.note.title.endswith("(revised)")
        assert [r.comment for r in store.revisions("etir-logistics-pilot")][-1] == "clearer title"
        assert store.get_case("cefact-garment-traceability").state == "archived"
        assert [n.text for n in store.progress_notes("private-sector-2021/6")] == [
            "Library released"]
        assert accounts.authenticate(store, "tina", "tina's long passphrase").divisions == {
            "trade"}
        drafts = Drafts(store).of_author("tina")
        assert [d.title for d in drafts] == (["Half-typed note"] if with_drafts else [])
        new = Drafts(store).save("tina", {"title": "Written after the upgrade"}, "")
        assert Drafts(store).get(new.id, "tina").title == "Written after the upgrade"
    finally:
        store.close()

    again = Store(path)  # a second start applies nothing more
    try:
        count = again.db.execute("SELECT count(*) FROM _migrations").fetchone()[0]
        assert count == len(MIGRATIONS)
    finally:
        again.close()



def test_after_the_pending_revisions_upgrade_every_note_is_live_and_can_get_a_change(tmp_path):
    path = tmp_path / "kmsearch.db"
    restore(path, with_drafts=True)
    store = Store(path)
    try:
        ids = store.case_ids()
        assert ids and all(store.get_case(i).pending_revision is None for i in ids)
        assert not any(r.pending for i in ids for r in store.revisions(i))
        live = store.get_case("etir-logistics-pilot")
        changed = CaseNote.from_dict(live.note.to_dict() | {"body": "A change that waits."})
        result = store.save_case(changed, author="tina", state="draft", pending=True,
                                 expected_revision=live.revision)
        after = store.get_case("etir-logistics-pilot")
        assert (after.revision, after.pending_revision) == (live.revision, result.revision)
        assert after.note.body == live.note.body and after.state == live.state
        assert store.revision("etir-logistics-pilot", result.revision).pending
    finally:
        store.close()
