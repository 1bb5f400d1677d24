"""A note's dictionary and hash: the same as ``dataclasses.asdict`` gives, for every note."""

from dataclasses import asdict
from pathlib import Path

from kmsearch.files.corpus import read_corpus
from kmsearch.records import Attachment, CaseNote, Lesson, Partner
from kmsearch.taxonomy import load_taxonomy

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _asdict(note: CaseNote) -> dict:
    data = asdict(note)
    if not data["attachments"]:
        del data["attachments"]
    return data


def test_to_dict_is_asdict_for_every_shipped_note_and_a_full_one():
    report = read_corpus(CORPUS / "cases", taxonomy=load_taxonomy(CORPUS / "taxonomy.yaml"),
                         default_evaluation="private-sector-2021")
    full = CaseNote(
        id="full", title="Full", division="Trade", partners=[Partner("Acme", "business")],
        sdgs=[8, 9], lessons=[Lesson("full", 1, "lesson", "Agree logos first.")],
        extra={"contact": {"name": "A", "phones": ["1", "2"]}},
        attachments=[Attachment("brief.pdf", "ab" * 32, 1234, "pdf", "corpus")])
    notes = [note for _, note in report.notes] + [full]
    assert len(notes) > 40
    for note in notes:
        assert note.to_dict() == _asdict(note)


def test_to_dict_shares_no_list_or_dict_with_the_note():
    note = CaseNote(id="n", title="N", division="Trade", sdgs=[1], extra={"tags": ["a"]},
                    partners=[Partner("Acme", "business")])
    data = note.to_dict()
    data["sdgs"].append(2)
    data["extra"]["tags"].append("b")
    data["partners"][0]["name"] = "Other"
    assert note.sdgs == [1] and note.extra == {"tags": ["a"]} and note.partners[0].name == "Acme"
