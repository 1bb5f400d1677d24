import csv
import io
import json
from pathlib import Path

import pytest

from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import ValidationError
from kmsearch.files.corpus import (
    derive_summary,
    note_from_fields,
    parse_case_text,
    read_case_file,
    read_corpus,
    to_csv,
    to_json,
    to_markdown,
    write_markdown,
)
from kmsearch.records import CaseNote, Lesson, Partner
from kmsearch.taxonomy import load_taxonomy

CASES = PROJECT_ROOT / "corpus" / "cases"
DEFAULT = "private-sector-2021"
KNOWN = {f"{DEFAULT}/{n}" for n in range(1, 9)}

GOOD = """\
---
id: {id}
title: Sharing rail freight data for intermodal corridors
division: Transport
partners:
  - name: Eurasian Rail Alliance
    type: industry-association
partnership_types: [data-sharing, joint-project]
nexus_areas: [mobility-connectivity]
sdgs: [9, 17]
recommendations: [6, 8]
start_year: 2019
end_year: 2021
status: completed
good_practice: true
lessons:
  - kind: good-practice
    text: Agree on data definitions before the first exchange.
---
## Context

Rail operators shared **terminal** data with the [secretariat](https://unece.org).

## Results

Three corridors were mapped.
"""


@pytest.fixture
def taxonomy():
    return load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")


@pytest.fixture
def options(taxonomy):
    return {"taxonomy": taxonomy, "default_evaluation": DEFAULT, "known_recommendations": KNOWN}


def good(note_id: str = "rail-freight-data") -> str:
    return GOOD.format(id=note_id)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def problems_of(text: str, options, source: str = "note.md") -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_case_text(text, source=source, **options)
    return [str(p) for p in caught.value.problems]


def test_a_good_note_is_read_with_every_field_normalised_to_codes(tmp_path, options):
    note = read_case_file(write(tmp_path, "rail-freight-data.md", good()), **options)
    assert note.id == "rail-freight-data"
    assert note.division == "transport"
    assert note.partners == [Partner("Eurasian Rail Alliance", "industry-association")]
    assert note.recommendations == [f"{DEFAULT}/6", f"{DEFAULT}/8"]
    assert (note.start_year, note.end_year, note.status) == (2019, 2021, "completed")
    assert (note.good_practice, note.visibility, note.risk_level) == (True, "internal", "low")
    lesson = "Agree on data definitions before the first exchange."
    assert note.lessons == [Lesson("rail-freight-data", 1, "good-practice", lesson)]
    assert note.body.startswith("## Context\n\nRail operators") and note.body.endswith("mapped.")
    assert note.summary == "Rail operators shared terminal data with the secretariat."


BROKEN = {
    "bad-yaml.md": (
        good("bad-yaml").replace("title: Sharing", "title: [Sharing"),
        ":4: invalid YAML in front matter: did not find expected ',' or ']' (while parsing a flow "
        "sequence from line 3)",
    ),
    "unknown-division.md": (
        good("unknown-division").replace("division: Transport", "division: Trnsport"),
        ':4:division: expected one of environment, transport, statistics, economic-cooperation, '
        'sustainable-energy, trade, forests-land-housing, oes (code or name), found "Trnsport"; '
        'did you mean "transport"?',
    ),
    "sdg-18.md": (
        good("sdg-18").replace("sdgs: [9, 17]", "sdgs: [9, 18]"),
        ":10:sdgs: expected SDG numbers 1-17, found 18",
    ),
    "missing-title.md": (
        good("missing-title").replace("title: Sharing rail", "summary: Sharing rail"),
        ":title: required: expected the partnership's title, found nothing",
    ),
    "latin-1.md": (
        good("latin-1").replace("Eurasian", "Eurasi\u00e4n").encode("latin-1"),
        ":6: not UTF-8: invalid byte 0xe4 at offset 120; save the file with UTF-8 encoding",
    ),
    "empty.md": (
        "",
        ": empty file: expected YAML front matter between '---' lines, then Markdown",
    ),
}


def test_each_broken_file_gives_one_precise_problem_and_good_files_still_load(tmp_path, options):
    cases = tmp_path / "cases"
    for name, (content, _) in BROKEN.items():
        write(cases, name, content)
    write(cases, "rail-freight-data.md", good())
    write(cases, "zz-last-good.md", good("zz-last-good"))

    report = read_corpus(tmp_path, **options)

    assert report.files == len(BROKEN) + 2
    assert [path.name for path, _ in report.notes] == ["rail-freight-data.md", "zz-last-good.md"]
    assert len(report.problems) == len(BROKEN)
    for problem in report.problems:
        name = Path(problem.source).name
        assert str(problem).startswith(str(cases / name) + BROKEN[name][1]), str(problem)


def test_bad_yaml_names_what_the_parser_expected(options):
    text = good().replace("division: Transport", "division: Transport: Rail")
    [problem] = problems_of(text, options)
    assert problem.startswith("note.md:4: invalid YAML in front matter: mapping values are not")


def test_every_problem_of_a_note_is_reported_at_once(options):
    text = good("Bad Id").replace("[9, 17]", "[SDG 5, 0, ten]").replace("2021", "2011")
    text = text.replace("status: completed", "status: finished")
    text = text.replace("type: industry", "type: guild")
    text = text.replace("[6, 8]", "[6, 12]").replace("kind: good-practice", "kind: tip")
    assert problems_of(text, options) == [
        'note.md:2:id: expected a slug of lower-case letters, digits and hyphens, found "Bad Id"',
        "note.md:13:end_year: expected a year from start_year 2019 on, found 2011",
        'note.md:7:partners[1].type: expected one of business, industry-association, foundation, '
        'academia, ngo, public-sector, other (code or name), found "guild-association"',
        "note.md:10:sdgs: expected SDG numbers 1-17, found 0",
        'note.md:10:sdgs: expected SDG numbers 1-17 (5 or "SDG 5"), found "ten"',
        f"note.md:11:recommendations: expected a known recommendation ({', '.join(sorted(KNOWN))}),"
        f" found {DEFAULT}/12",
        "note.md:14:status: expected one of proposed, active, completed, discontinued, "
        'found "finished"; did you mean "completed"?',
        "note.md:17:lessons[1].kind: expected one of good-practice, lesson, pitfall, found \"tip\"",
    ]


def test_display_names_and_codes_are_accepted_in_any_letter_case(options):
    text = good().replace("division: Transport", "division: ECONOMIC cooperation AND integration")
    text = text.replace("type: industry-association", "type: non-governmental ORGANIZATION")
    text = text.replace("[data-sharing, joint-project]", "[Data Sharing, JOINT-PROJECT]")
    text = text.replace("[mobility-connectivity]", "[sustainable and smart cities for all ages]")
    text = text.replace("[9, 17]", '["SDG 5", "9", gender equality, sdg17]')
    text = text.replace("status: completed", "status: Completed")
    note = parse_case_text(text, source="note.md", **options)
    assert note.division == "economic-cooperation"
    assert note.partners[0].type == "ngo"
    assert note.partnership_types == ["data-sharing", "joint-project"]
    assert note.nexus_areas == ["smart-cities"]
    assert note.sdgs == [5, 9, 17]
    assert note.status == "completed"


def test_single_values_stand_for_lists_and_duplicates_are_dropped_in_order(options):
    text = good().replace("sdgs: [9, 17]", "sdgs: 5").replace("[6, 8]", "[8, 6, 8]")
    types = "[joint-project, data-sharing, Joint Project]"
    text = text.replace("[data-sharing, joint-project]", types)
    text = text.replace("nexus_areas: [mobility-connectivity]", "nexus_areas: measuring-sdgs")
    note = parse_case_text(text, source="note.md", **options)
    assert note.sdgs == [5]
    assert note.recommendations == [f"{DEFAULT}/8", f"{DEFAULT}/6"]
    assert note.partnership_types == ["joint-project", "data-sharing"]
    assert note.nexus_areas == ["measuring-sdgs"]


def test_recommendations_of_other_evaluations_are_kept_by_id(options):
    known = KNOWN | {"gender-2024/2"}
    text = good().replace("[6, 8]", '[6, "gender-2024/2", "7"]')
    note = parse_case_text(text, source="note.md", **{**options, "known_recommendations": known})
    assert note.recommendations == [f"{DEFAULT}/6", "gender-2024/2", f"{DEFAULT}/7"]
    options["known_recommendations"] = None
    unchecked = parse_case_text(text, source="note.md", **options)
    assert unchecked.recommendations == note.recommendations


def test_unknown_fields_are_kept_with_dates_as_iso_strings(options):
    extra = "contact: Jane Doe\nsigned: 2021-05-04\nbudget:\n  usd: 15000\n  dates: [2020-01-01]\n"
    text = good().replace("lessons:\n", extra + "lessons:\n")
    note = parse_case_text(text, source="n.md", **options)
    assert note.extra == {
        "contact": "Jane Doe",
        "signed": "2021-05-04",
        "budget": {"usd": 15000, "dates": ["2020-01-01"]},
    }
    json.dumps(note.to_dict())


def test_defaults_apply_when_optional_fields_are_missing(options):
    text = "---\nid: minimal\ntitle: Minimal\ndivision: trade\nstatus: proposed\n---\n"
    note = parse_case_text(text, source="minimal.md", **options)
    assert (note.visibility, note.risk_level, note.good_practice) == ("internal", "low", False)
    assert (note.partners, note.lessons, note.sdgs, note.body, note.summary) == ([], [], [], "", "")


def test_the_id_must_equal_the_file_name(tmp_path, options):
    path = write(tmp_path, "rail-freight.md", good())
    with pytest.raises(ValidationError) as caught:
        read_case_file(path, **options)
    assert [str(p) for p in caught.value.problems] == [
        f'{path}:2:id: expected "rail-freight", the file name without .md, '
        'found "rail-freight-data"; rename the file or change the id'
    ]


def test_a_field_given_twice_is_a_problem(options):
    text = good().replace("status: completed", "status: completed\nstatus: active")
    assert problems_of(text, options) == [
        "note.md:15:status: given twice, also on line 14: expected each field once"
    ]


def test_partners_and_lessons_must_be_name_type_and_kind_text_mappings(options):
    text = good().replace("    type: industry-association", "    type: business\n    role: sponsor")
    text = text.replace("  - kind: good-practice\n    text: Agree", "  - Agree")
    assert problems_of(text, options) == [
        "note.md:6:partners[1]: expected only name and type, found also role",
        'note.md:18:lessons[1]: expected kind and text fields, found "Agree on data definitions '
        'before the first exchange."',
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter here\n", "note.md:1: no front matter: expected a first line '---', "
         'found "no front matter here"'),
        ("---\nid: x\ntitle: open\n", "note.md:1: front matter not closed: expected a '---' line "
         "after the fields"),
        ("---\n- a\n- b\n---\nbody\n", 'note.md:2: front matter is not a mapping: expected '
         "'field: value' lines, found [\"a\", \"b\"]"),
        ("  \n\n", "note.md: empty file: expected YAML front matter between '---' lines, then "
         "Markdown"),
    ],
)
def test_files_without_usable_front_matter_say_what_was_expected(text, expected, options):
    assert problems_of(text, options) == [expected]


def test_a_bom_and_windows_line_endings_are_fine(tmp_path, options):
    content = "\ufeff" + good().replace("\n", "\r\n") + "\r\n\r\n"
    path = write(tmp_path, "rail-freight-data.md", content.encode("utf-8"))
    note = read_case_file(path, **options)
    assert note == parse_case_text(good(), source="x.md", **options)
    assert "\r" not in note.body


def test_the_summary_is_the_first_paragraph_as_plain_text_cut_at_a_word():
    body = "# Heading\n\n## Context\n\nA *short* [story](http://x) with `code`\nand a break.\n\n"
    assert derive_summary(body) == "A short story with code and a break."
    long = "word " * 100
    summary = derive_summary(long)
    assert summary.endswith("word…") and len(summary) <= 301
    assert derive_summary("## Only a heading") == ""


def test_a_given_summary_wins_over_the_derived_one(options):
    text = good().replace("division:", "summary: >-\n  Rail  data,\n  shared.\ndivision:")
    assert parse_case_text(text, source="n.md", **options).summary == "Rail data, shared."


def test_note_from_fields_validates_form_values_like_files(options):
    form = {
        "id": "form-note", "title": "  A   form note ", "division": "Statistics",
        "sdgs": ["5", "8"], "start_year": "2020", "good_practice": "on", "status": "active",
        "partners": [{"name": "Acme", "type": "Business"}], "end_year": "",
    }
    note = note_from_fields(form, "Body\r\ntext\r\n", source="form", **options)
    assert (note.title, note.division, note.sdgs) == ("A form note", "statistics", [5, 8])
    assert (note.start_year, note.end_year, note.good_practice) == (2020, None, True)
    assert note.body == "Body\ntext"
    with pytest.raises(ValidationError) as caught:
        note_from_fields({**form, "start_year": "1900"}, "", source="form", **options)
    assert [str(p) for p in caught.value.problems] == [
        'form:start_year: expected a year 1945-2100, found "1900"'
    ]


def test_note_from_fields_rejects_anything_but_a_mapping(options):
    with pytest.raises(ValidationError) as caught:
        note_from_fields(["id", "x"], "", source="api", **options)
    expected = 'api: expected a mapping of field names to values, found ["id", "x"]'
    assert str(caught.value) == expected


def test_a_duplicate_id_is_a_problem_of_the_second_file(tmp_path, options):
    first = write(tmp_path / "a", "same.md", good("same"))
    second = write(tmp_path / "b", "same.md", good("same"))
    report = read_corpus(tmp_path, **options)
    assert [path for path, _ in report.notes] == [first]
    assert [str(p) for p in report.problems] == [
        f'{second}:id: expected a unique id, found "same", used by {first}'
    ]


def test_read_corpus_takes_a_single_file_and_reports_a_missing_folder(tmp_path, options):
    path = write(tmp_path, "rail-freight-data.md", good())
    assert [p for p, _ in read_corpus(path, **options).notes] == [path]
    missing = read_corpus(tmp_path / "nowhere", **options)
    assert [str(p) for p in missing.problems] == [
        f"{tmp_path / 'nowhere'}: not found: expected a corpus folder or a .md file"
    ]


def sample_files() -> list[Path]:
    return sorted(CASES.glob("*.md"))


def test_the_sample_corpus_is_there_and_valid(options):
    report = read_corpus(PROJECT_ROOT / "corpus", **options)
    assert report.files >= 3
    assert [str(p) for p in report.problems] == []


@pytest.mark.parametrize("path", sample_files(), ids=lambda path: path.stem)
def test_every_sample_note_survives_a_round_trip_through_markdown(path, options):
    note = read_case_file(path, **options)
    again = parse_case_text(to_markdown(note), source=str(path), **options)
    assert again == note
    assert again.content_hash() == note.content_hash()


def test_a_round_trip_keeps_extras_other_evaluations_and_an_open_end(options):
    note = CaseNote(
        id="open-ended", title="Open: ended?", division="trade", summary="Yes: really.",
        partners=[Partner("Acme, Inc.", "business")], sdgs=[5],
        recommendations=[f"{DEFAULT}/3", "gender-2024/2"], start_year=2024, status="active",
        lessons=[Lesson("open-ended", 1, "pitfall", "Don't say 'no'.")],
        extra={"signed": "2021-05-04", "tags": ["a", "b"], "meta": {"x": None}},
        body="## Context\n\n---\n\nAfter a rule.",
    )
    text = to_markdown(note)
    assert "recommendations: [3, gender-2024/2]" in text and "end_year" not in text
    options = {**options, "known_recommendations": None}
    assert parse_case_text(text, source="open-ended.md", **options) == note


def test_written_files_read_back_as_the_same_notes(tmp_path, options):
    notes = [note for _, note in read_corpus(CASES, **options).notes][:3]
    paths = write_markdown(notes, tmp_path / "out")
    assert [p.name for p in paths] == [f"{n.id}.md" for n in notes]
    assert [n for _, n in read_corpus(tmp_path / "out", **options).notes] == notes


def test_json_export_parses_back_to_the_same_fields(options):
    notes = [note for _, note in read_corpus(CASES, **options).notes]
    data = json.loads(to_json(notes))
    assert [CaseNote.from_dict(item) for item in data] == notes


def test_csv_export_has_one_row_per_note_with_joined_lists(options):
    notes = [note for _, note in read_corpus(CASES, **options).notes]
    rows = list(csv.DictReader(io.StringIO(to_csv(notes))))
    assert [row["id"] for row in rows] == [note.id for note in notes]
    first, note = rows[0], notes[0]
    assert first["sdgs"] == "; ".join(str(n) for n in note.sdgs)
    assert first["partners"] == "; ".join(f"{p.name} ({p.type})" for p in note.partners)
    assert first["lessons"] == " | ".join(f"{x.kind}: {x.text}" for x in note.lessons)
    assert first["good_practice"] in ("true", "false")
    assert first["body"] == note.body
