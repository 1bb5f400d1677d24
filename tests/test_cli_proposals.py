"""The command line for due diligence and partners: the rules summary and its errors, the
partner list, and a merge, split and undo by a named reviewer."""

import shutil

from click.testing import CliRunner

from kmsearch.cli import cli
from kmsearch.config import PROJECT_ROOT, Settings
from kmsearch.library import Library
from kmsearch.records import CaseNote, Partner


def run(tmp_path, *args, corpus=PROJECT_ROOT / "corpus"):
    options = ["--db", str(tmp_path / "db.sqlite"), "--index-dir", str(tmp_path / "idx"),
               "--corpus", str(corpus)]
    return CliRunner().invoke(cli, options + list(args))


def add_notes(tmp_path):
    library = Library(Settings(db_path=tmp_path / "db.sqlite", index_dir=tmp_path / "idx"))
    for case_id, partner in (("one", "Ostrava Steel a.s."), ("two", "OSTRAVA STEEL"),
                             ("three", "Ostrava Steelworks")):
        library.store.save_case(CaseNote(id=case_id, title=case_id, division="trade",
                                         visibility="public", partners=[Partner(partner,
                                                                                "business")]),
                                author="t")
    library.close()


def test_due_diligence_summarises_every_rule_of_the_shipped_file(tmp_path):
    result = run(tmp_path, "due-diligence")
    assert result.exit_code == 0, result.output
    for rule in ("exclusion:weapons", "exclusion:tobacco", "exclusion:sanctions",
                 "factor:emblem", "factor:personal-data", "checklist:governance"):
        assert rule in result.output
    assert "simplified path: 3 questions, contributions up to 10,000 USD" in result.output


def test_due_diligence_reports_a_broken_file_and_exits_1(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus, ignore=shutil.ignore_patterns("cases"))
    text = (corpus / "due-diligence.yaml").read_text(encoding="utf-8")
    (corpus / "due-diligence.yaml").write_text(text.replace("tier: high", "tier: severe", 1),
                                               encoding="utf-8")
    result = run(tmp_path, "due-diligence", corpus=corpus)
    assert result.exit_code == 1
    assert "elevating_factors[1].tier: expected one of low, medium, high; found 'severe'" \
        in result.output


def test_partners_are_listed_merged_split_and_undone(tmp_path):
    add_notes(tmp_path)
    listed = run(tmp_path, "partners", "list").output
    assert "ostrava-steel " in listed and "ostrava-steelworks" in listed
    merged = run(tmp_path, "partners", "merge", "ostrava-steelworks", "ostrava-steel",
                 "--by", "rita")
    assert merged.exit_code == 0 and "change 1: 1 name(s) now under ostrava-steel" in merged.output
    assert "ostrava-steelworks" not in run(tmp_path, "partners", "list").output
    split = run(tmp_path, "partners", "split", "OSTRAVA STEEL", "--by", "rita")
    assert "is now partner ostrava-steel-2" in split.output
    assert run(tmp_path, "partners", "undo", "1", "--by", "rita").exit_code == 0
    assert "ostrava-steelworks" in run(tmp_path, "partners", "list").output
    again = run(tmp_path, "partners", "undo", "1", "--by", "rita")
    assert again.exit_code == 1 and "already undone" in again.output
