"""Messages that teach the fix, one by one: each names its line, fits on one line and says what
to write instead, as registers migrated by hand showed they must."""

from pathlib import Path

import pytest

from kmsearch.errors import ValidationError
from kmsearch.files.corpus import parse_case_text
from kmsearch.files.synonyms import did_you_mean
from kmsearch.files.validation import SUMMARY_LENGTH, TITLE_LENGTH
from kmsearch.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
TAXONOMY = load_taxonomy(ROOT / "corpus" / "taxonomy.yaml")
FRONT = """---
id: a-note
title: A note
division: Transport
partners:
  - name: Acme Ltd
    type: business
status: active
---
Body.
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_case_text(text, source="note.md", taxonomy=TAXONOMY,
                        default_evaluation="private-sector-2021")
    lines = [str(p) for p in caught.value.problems]
    assert all("\n" not in line for line in lines)
    return lines


def test_a_value_yaml_reads_as_a_comment_says_to_quote_it():
    text = FRONT.replace("id: a-note", "id: #OceanAction21244")
    assert problems(text) == [
        'note.md:2:id: required: expected a slug such as "cefact-garment-traceability", found '
        'nothing; YAML reads what follows # as a comment: quote the value, as in  '
        'id: "#OceanAction21244"'
    ]
    text = FRONT.replace("title: A note", "title: #OneLess plastic")
    assert problems(text)[0].startswith("note.md:3:title: required:")
    assert problems(text)[0].endswith('as in  title: "#OneLess plastic"')


def test_a_colon_in_a_value_says_to_quote_it_with_the_line_as_written():
    text = FRONT.replace("title: A note", "title: Water: a story")
    assert problems(text) == [
        "note.md:3: invalid YAML in front matter: mapping values are not allowed in this "
        'context: a value containing ": " or starting with @, ` or a similar sign must be quoted; '
        'write  title: "Water: a story"'
    ]


def test_a_control_character_is_one_line_naming_its_own_line():
    text = FRONT.replace("status: active", "status: act\x07ive")
    assert problems(text) == [
        "note.md:8: invalid character U+0007 in front matter: control characters are not "
        "allowed; delete it (it may be invisible in your editor)"
    ]


@pytest.mark.parametrize("written, meant", [
    ("Private sector", "business"), ("Government", "public-sector"),
    ("Academic institution", "academia"), ("Intergovernmental organization", "other"),
    ("United Nations entity", "other"), ("Civil society organization", "ngo"),
    ("buisness", "business"), ("Publik sector", "public-sector"),
])
def test_did_you_mean_offers_the_value_meant_never_its_opposite(written, meant):
    text = FRONT.replace("type: business", f"type: {written}")
    [line] = problems(text)
    assert line.startswith("note.md:7:partners[1].type: expected one of business,")
    assert line.endswith(f'found "{written}"; did you mean "{meant}"?')


def test_no_suggestion_rather_than_a_wrong_one():
    labels = {t.code: t.code for t in TAXONOMY.partner_types} | \
        {t.name: t.code for t in TAXONOMY.partner_types}
    assert did_you_mean("Governmental organization", labels, "partner_types") != "ngo"
    assert did_you_mean("Public-private partnership", labels, "partner_types") is None
    assert did_you_mean("Ongoing", {"active": "active"}, "status") == "active"


def test_titles_and_summaries_over_their_limits_say_the_limit_and_the_way_out():
    text = FRONT.replace("title: A note", "title: " + "t" * (TITLE_LENGTH + 5)).replace(
        "status: active", "status: active\nsummary: " + "s" * 2835)
    assert problems(text) == [
        f"note.md:3:title: expected at most {TITLE_LENGTH} characters, found "
        f"{TITLE_LENGTH + 5}; shorten it; details belong in the summary",
        f"note.md:9:summary: expected at most {SUMMARY_LENGTH} characters, found 2,835; "
        "shorten it to one or two sentences, or leave summary empty and the first paragraph of "
        f"the body is used, cut at {SUMMARY_LENGTH} characters",
    ]
