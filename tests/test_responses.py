"""The management-response parser, on the 2021 seed document and on variants of it."""

import dataclasses
import re
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest

from kmsearch.errors import Problem, ValidationError
from kmsearch.files.responses import load_evaluations, parse_date, parse_management_response

ROOT = Path(__file__).resolve().parents[1]
EVALUATIONS = ROOT / "corpus" / "evaluations"
SEED = (EVALUATIONS / "private-sector-2021.txt").read_text(encoding="utf-8")
MESSY = Path(__file__).parent / "data" / "responses" / "messy-2019.txt"
FOOTER = "Management Response, Evaluation, PMU, UNECE"

TEXT_1 = (
    "Strengthen buy-in from membership, senior management and other relevant stakeholders "
    "within the Organization through better sharing the benefits of engaging with the private "
    "sector. This would allow to forge a consensus on what is expected from the private sector "
    "(desirable scenario)."
)
TEXT_5 = (
    "Strengthen capacities that support collaboration with the business sector, including "
    "improved due diligence and risk management. This would allow to further develop the due "
    "diligence and associated processes as a function that is meant to serve the Organization "
    "to identify the most strategic opportunities, while at the same time properly assessing "
    "potential risks (including simplified mechanisms tailored to low-risk types of engagement "
    "or small financial contributions)."
)
TEXT_7 = (
    'Consider putting in place a "one-stop shop" to receive and appropriately channel private '
    "sector partnership initiatives which could facilitate engagement and reduce the associated "
    "bureaucracy."
)
ACTIONS_5 = (
    "ECE support functions are funded from the regular budget and opportunities to strengthen "
    "capacities are limited, with reference to the zero-growth instructions included in the "
    "guidance from the Secretary-General in the last 10 years.\n\n"
    "However, UNECE is always looking for efficiencies through the improvement of existing "
    "internal processes. The due diligence and associated processes will be aligned with the "
    "Partnership Strategy to identify the most strategic opportunities, while at the same time "
    "properly assessing potential risks."
)
TEXT_STARTS_AND_ENDS = {
    1: ("Strengthen buy-in from membership", "(desirable scenario)."),
    2: ("Review the Framework in the spirit of SDG 17", "UNECE's mandate and activities."),
    3: ("In the business sector partnership strategy", "from external sources, etc.)"),
    4: ("Strengthen the organizational capacity", "learning from successes and failures."),
    5: ("Strengthen capacities that support collaboration", "small financial contributions)."),
    6: ("Implement a monitoring system", "replicating good practices."),
    7: ('Consider putting in place a "one-stop shop"', "reduce the associated bureaucracy."),
    8: ("Partnerships should explore the possibility", "(specific agreements)."),
}
ACTIONS_STARTS = {
    1: "UNECE, with inputs of all subprogrammes, will prepare a Partnership Strategy",
    2: "The Partnership Strategy will provide operational guidance",
    3: "The Partnership Strategy, to be developed in consultation",
    4: "Partnerships have been centralized in the Office",
    5: "ECE support functions are funded from the regular budget",
    6: "A first Partnerships report will be presented to EXCOM in 2022;",
    7: "Partnerships have been centralized in the Office",
    8: "The Partnerships reports will reflect at the subprogramme level",
}
RESPONSIBILITIES = {
    1: "Deputy-Executive Secretary",
    2: "Deputy-Executive Secretary",
    3: "Deputy-Executive Secretary, supported by Executive Office and PMU.",
    4: "Deputy-Executive Secretary",
    5: "Deputy-Executive Secretary, supported by Executive Office",
    6: "Deputy-Executive Secretary, supported by Executive Office",
    7: "Deputy-Executive Secretary, supported by Executive Office",
    8: "Deputy-Executive Secretary, supported by the Gender Focal Point",
}


def parse(text: str, **options):
    return parse_management_response(text, evaluation_id="private-sector-2021", **options)


def by_number(text: str, **options) -> dict:
    return {r.number: r for r in parse(text, **options).recommendations}


def sections(text: str) -> tuple[str, dict[int, str]]:
    """Split a document into its header and its recommendation sections, by number."""
    header, *parts = re.split(r"(?m)^(?=Recommendation \d+:)", text)
    return header, {int(re.match(r"Recommendation (\d+)", p)[1]): p for p in parts}


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def problems_of(text: str, **options) -> list[Problem]:
    with pytest.raises(ValidationError) as raised:
        parse(text, **options)
    return raised.value.problems


@pytest.fixture(scope="module")
def seed():
    return by_number(SEED)


def test_seed_header_gives_title_period_and_day_first_date():
    evaluation = parse(SEED)
    assert evaluation.id == "private-sector-2021"
    assert evaluation.title == (
        "Programme-level evaluation of UNECE engagement with the private sector"
    )
    assert evaluation.period == "2017-2021"
    assert evaluation.date == date(2021, 9, 27)


def test_seed_has_eight_recommendations_in_order_tagged_with_the_evaluation(seed):
    assert list(seed) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {r.evaluation_id for r in seed.values()} == {"private-sector-2021"}
    assert seed[6].id == "private-sector-2021/6"
    assert {r.status for r in seed.values()} == {"not-started"}


def test_seed_recommendations_1_5_and_7_have_exactly_their_text(seed):
    assert seed[1].text == TEXT_1
    assert seed[5].text == TEXT_5
    assert seed[7].text == TEXT_7


@pytest.mark.parametrize("number", range(1, 9))
def test_every_seed_recommendation_is_one_paragraph_with_its_own_start_and_end(seed, number):
    start, end = TEXT_STARTS_AND_ENDS[number]
    assert seed[number].text.startswith(start)
    assert seed[number].text.endswith(end)
    assert "\n" not in seed[number].text
    assert "  " not in seed[number].text


def test_seed_recommendation_5_is_partially_accepted_and_the_others_accepted(seed):
    assert seed[5].response == "partially-accepted"
    assert seed[5].response_text == "UNECE partially accepts the recommendation."
    others = {n: r.response for n, r in seed.items() if n != 5}
    assert set(others.values()) == {"accepted"}
    assert seed[1].response_text == "UNECE accepts the recommendation."


def test_seed_recommendation_5_actions_keep_their_two_paragraphs(seed):
    assert seed[5].actions == ACTIONS_5


@pytest.mark.parametrize("number", range(1, 9))
def test_every_seed_recommendation_has_its_actions_and_responsibility(seed, number):
    assert seed[number].actions.startswith(ACTIONS_STARTS[number])
    assert seed[number].actions.endswith(".")
    assert seed[number].responsibility == RESPONSIBILITIES[number]


def test_seed_recommendation_7_actions_are_exact(seed):
    assert seed[7].actions == (
        "Partnerships have been centralized in the Office of the Deputy-Executive Secretary "
        "since 1 September 2021. While internal processes have already been simplified in "
        "practice, they will be outlined in the Partnership Strategy."
    )


def test_seed_timelines_are_end_of_2023_except_recommendation_6_in_2022(seed):
    assert seed[6].timeline == date(2022, 12, 31)
    assert {n: r.timeline for n, r in seed.items() if n != 6} == {
        n: date(2023, 12, 31) for n in (1, 2, 3, 4, 5, 7, 8)
    }


def test_page_footer_never_leaks_into_any_field(seed):
    for recommendation in seed.values():
        for name, value in dataclasses.asdict(recommendation).items():
            assert "Management Response, Evaluation" not in str(value), f"{name} leaks"


def test_keyword_arguments_win_over_the_header():
    evaluation = parse(SEED, title="Private sector", period="2017-2020", date=date(2021, 10, 1))
    assert (evaluation.title, evaluation.period) == ("Private sector", "2017-2020")
    assert evaluation.date == date(2021, 10, 1)


def test_sections_out_of_order_are_sorted_by_number():
    header, parts = sections(SEED)
    reordered = header + parts[3] + parts[1] + parts[2] + "".join(parts[n] for n in range(4, 9))
    recommendations = parse(reordered).recommendations
    assert [r.number for r in recommendations] == list(range(1, 9))
    assert recommendations[0].text == TEXT_1
    assert recommendations[2].text.startswith(TEXT_STARTS_AND_ENDS[3][0])


@pytest.mark.parametrize(
    "wording",
    [
        "UNECE does not accept the recommendation.",
        "UNECE rejects the recommendation.",
        "Not accepted. UNECE accepts only recommendations within its mandate.",
    ],
)
def test_a_refusal_means_rejected(wording):
    text = SEED.replace(
        "Management Response:\n\nUNECE accepts the recommendation.\n\nFollow up actions and "
        "responsibilities:\n\nPartnerships have been centralized",
        f"Management Response:\n\n{wording}\n\nFollow up actions and "
        "responsibilities:\n\nPartnerships have been centralized",
        1,
    )
    recommendations = by_number(text)
    assert recommendations[4].response == "rejected"
    assert recommendations[4].response_text == wording
    assert recommendations[7].response == "accepted"


def test_a_rejected_recommendation_needs_no_timeline_or_responsibility():
    header, parts = sections(SEED)
    rejected = (
        "Recommendation 9:\n\nOpen a UNECE office in every member State.\n\n"
        "Management Response:\n\nUNECE rejects the recommendation.\n"
    )
    recommendation = by_number(header + rejected + parts[1])[9]
    assert recommendation.response == "rejected"
    assert (recommendation.timeline, recommendation.responsibility) == (None, "")


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_line_endings_with_a_bom_parse_like_the_seed(seed, newline):
    assert by_number("\ufeff" + SEED.replace("\n", newline)) == seed


def test_a_missing_timeline_is_reported_with_field_line_and_an_example():
    text = SEED.replace("and PMU.\n\nTimeline: 31 December 2023\n", "and PMU.\n\n", 1)
    [problem] = problems_of(text, source="ps-2021.txt")
    assert problem.source == "ps-2021.txt"
    assert problem.field == "recommendation 3.timeline"
    assert problem.line == line_of(text, "Recommendation 3:")
    assert "no Timeline line found" in problem.message
    assert "'Timeline: 31 December 2023'" in problem.message
    assert str(problem).startswith(f"ps-2021.txt:{problem.line}:recommendation 3.timeline: ")


def test_a_lenient_parse_accepts_a_missing_timeline_and_returns_the_warning():
    text = SEED.replace("and PMU.\n\nTimeline: 31 December 2023\n", "and PMU.\n\n", 1)
    warnings: list[Problem] = []
    recommendations = by_number(text, strict=False, warnings=warnings)
    assert recommendations[3].timeline is None
    assert recommendations[4].timeline == date(2023, 12, 31)
    assert [w.field for w in warnings] == ["recommendation 3.timeline"]


def test_a_lenient_parse_still_raises_on_an_unreadable_response():
    text = SEED.replace("UNECE accepts the recommendation.", "UNECE notes the recommendation.", 1)
    with pytest.raises(ValidationError):
        parse(text, strict=False)


def test_wrapped_lines_are_joined_with_single_spaces_or_at_a_hyphen(seed):
    header, body = SEED.split("Recommendation 1:", 1)
    wrapped = "\n".join(
        "\n\t".join(textwrap.wrap(line, 50)) + "  " if len(line) > 50 else line
        for line in body.split("\n")
    )
    assert wrapped.count("\n") > body.count("\n") + 100
    assert "non-\n\treimbursable" in wrapped
    assert by_number(header + "Recommendation 1:" + wrapped) == seed


def test_a_footer_inside_a_paragraph_is_removed_and_the_paragraph_rejoined(seed):
    text = SEED.replace(
        "in the last 10 years.", f"in the last\n\n{FOOTER}\n\n2\n\n10 years.", 1
    ).replace("appropriately channel", f"appropriately\n{FOOTER}\nchannel", 1)
    recommendations = by_number(text)
    assert recommendations[5].actions == ACTIONS_5
    assert recommendations[7].text == TEXT_7


def test_a_footer_between_two_paragraphs_keeps_them_apart():
    text = SEED.replace("10 years.\n\nHowever,", f"10 years.\n\n{FOOTER}\n\nHowever,", 1)
    assert by_number(text)[5].actions == ACTIONS_5


def test_a_footer_glued_to_a_line_is_cut_off():
    text = SEED.replace("(desirable scenario).", f"(desirable scenario).{FOOTER}", 1)
    assert by_number(text)[1].text == TEXT_1


@pytest.mark.parametrize(
    ("label", "replacement"),
    [
        ("Follow up actions and responsibilities:", "Follow-up actions"),
        ("Follow up actions and responsibilities:", "FOLLOW-UP ACTIONS AND RESPONSIBILITY :"),
        ("Timeline: 31 December 2023", "Time line\t31 December 2023"),
        ("Timeline: 31 December 2023", "time-line:\n31 December 2023"),
        ("Timeline: 31 December 2023", "Deadline: 31/12/2023"),
        ("Responsibility: Deputy-", "RESPONSIBILITY\nDeputy-"),
        ("Management Response:\n\n", "Management response: "),
        ("Management Response:", "MANAGEMENT RESPONSE"),
        ("Recommendation 1:\n\n", "Recommendation 1: "),
        ("Recommendation 1:", "RECOMMENDATION 1."),
    ],
)
def test_label_variants_are_recognised(seed, label, replacement):
    assert by_number(SEED.replace(label, replacement)) == seed


def test_a_messy_document_with_every_variation_at_once():
    evaluation = parse(MESSY.read_text(encoding="utf-8"))
    assert evaluation.title == "Evaluation of the road safety partnerships"
    assert (evaluation.period, evaluation.date) == ("2015-2018", date(2019, 3, 15))
    first, second, third = evaluation.recommendations
    assert first.text.startswith("Agree on a common template for partnership agreements with ")
    assert first.actions == (
        "The Legal Liaison Office will draft the template with the Transport Division and "
        "circulate it to all divisions for comments.\n\n"
        "A first version will be tested with two industry associations."
    )
    assert first.responsibility == "Transport Division, with the Legal Liaison Office"
    assert first.timeline == date(2019, 12, 31)
    assert (second.response, second.timeline) == ("partially-accepted", date(2020, 12, 31))
    assert second.actions.endswith("Confidential data will stay internal.")
    assert second.responsibility == "Transport Division"
    assert third.text == (
        "Create a dedicated fund for road safety projects financed by the private sector."
    )
    assert (third.response, third.timeline) == ("rejected", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("31 December 2023", date(2023, 12, 31)),
        ("31st December, 2023.", date(2023, 12, 31)),
        ("December 2023", date(2023, 12, 31)),
        ("February 2024", date(2024, 2, 29)),
        ("Sept. 2022", date(2022, 9, 30)),
        ("December 31, 2023", date(2023, 12, 31)),
        ("31/12/2023", date(2023, 12, 31)),
        ("1/6/2023", date(2023, 6, 1)),
        ("31.12.2023", date(2023, 12, 31)),
        ("2023-12-31", date(2023, 12, 31)),
        ("end of 2022", date(2022, 12, 31)),
        ("By the end of June 2022", date(2022, 6, 30)),
        ("2022", date(2022, 12, 31)),
    ],
)
def test_timeline_formats(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["Ongoing", "31/13/2023", "Smarch 2023", "", "mid-2023"])
def test_unreadable_dates_say_what_was_expected(text):
    with pytest.raises(ValueError, match="expected '31 December 2023', 'December 2023'"):
        parse_date(text)


def test_an_unreadable_timeline_is_reported_at_its_line():
    text = SEED.replace("Timeline: 31 December 2022", "Timeline: Ongoing")
    [problem] = problems_of(text)
    assert problem.field == "recommendation 6.timeline"
    assert problem.line == line_of(text, "Timeline: Ongoing")
    assert "'Ongoing'" in problem.message and "'31 December 2023'" in problem.message


def test_an_unknown_response_wording_is_reported_with_what_was_found():
    text = SEED.replace("UNECE partially accepts", "UNECE takes note of", 1)
    [problem] = problems_of(text)
    assert problem.field == "recommendation 5.response"
    assert problem.line == line_of(text, "UNECE takes note of the recommendation.") - 2
    assert "partially accepts" in problem.message
    assert "'UNECE takes note of the recommendation.'" in problem.message


def test_a_recommendation_without_management_response_is_reported():
    header, parts = sections(SEED)
    broken = parts[2].replace("Management Response:\n\nUNECE accepts the recommendation.\n\n", "")
    text = header + parts[1] + broken
    [problem] = problems_of(text)
    assert problem.field == "recommendation 2.response"
    assert problem.line == line_of(text, "Recommendation 2:")
    assert "found none" in problem.message


def test_duplicate_recommendation_numbers_are_reported_at_the_second():
    header, parts = sections(SEED)
    text = header + parts[1] + parts[2] + parts[2]
    [problem] = problems_of(text)
    assert problem.field == "recommendation 2.number"
    assert problem.line == len((header + parts[1] + parts[2]).splitlines()) + 1
    assert f"first at line {line_of(text, 'Recommendation 2:')}" in problem.message


def test_a_repeated_label_in_one_section_is_reported():
    text = SEED.replace("Timeline: 31 December 2022", "Timeline: 2022\nTimeline: 2023")
    [problem] = problems_of(text)
    assert problem.field == "recommendation 6.timeline"
    assert problem.line == line_of(text, "Timeline: 2023")


def test_a_text_without_recommendations_is_rejected():
    [problem] = problems_of(sections(SEED)[0])
    assert problem.field == "recommendations"
    assert "'Recommendation 1:'" in problem.message


def test_an_empty_text_reports_every_missing_part_at_once():
    fields = [problem.field for problem in problems_of("")]
    assert fields == ["title", "period", "recommendations"]


def test_every_problem_in_a_document_is_reported_at_once():
    text = (
        SEED.replace("Timeline: 31 December 2022", "Timeline: soon")
        .replace("UNECE partially accepts", "UNECE notes", 1)
        .replace("27/09/2021", "32/09/2021")
    )
    text = re.sub(r"Responsibility: .* Gender Focal Point\n", "", text)
    fields = sorted(problem.field for problem in problems_of(text, source="x.txt"))
    assert fields == [
        "date",
        "recommendation 5.response",
        "recommendation 6.timeline",
        "recommendation 8.responsibility",
    ]


def test_load_evaluations_reads_the_shipped_corpus_with_its_metadata(seed):
    [evaluation] = load_evaluations(EVALUATIONS)
    assert (evaluation.id, evaluation.default) == ("private-sector-2021", True)
    assert evaluation.title.startswith("Programme-level evaluation of UNECE engagement")
    assert (evaluation.period, evaluation.date) == ("2017-2021", date(2021, 9, 27))
    assert {r.number: r for r in evaluation.recommendations} == seed


def test_load_evaluations_applies_metadata_and_an_explicit_source(tmp_path):
    shutil.copy(MESSY, tmp_path / "road-safety.txt")
    (tmp_path / "rs-2019.yaml").write_text(
        "id: rs-2019\ntitle: Road safety\nperiod: 2015-2019\ndate: 1 April 2019\n"
        "source: road-safety.txt\n",
        encoding="utf-8",
    )
    [evaluation] = load_evaluations(tmp_path)
    assert (evaluation.id, evaluation.title) == ("rs-2019", "Road safety")
    assert evaluation.period == "2015-2019"
    assert (evaluation.date, evaluation.default) == (date(2019, 4, 1), False)
    assert [r.id for r in evaluation.recommendations] == ["rs-2019/1", "rs-2019/2", "rs-2019/3"]


def test_load_evaluations_lists_every_broken_file_by_name(tmp_path):
    shutil.copy(EVALUATIONS / "private-sector-2021.txt", tmp_path / "good.txt")
    (tmp_path / "good.yaml").write_text("id: good\n", encoding="utf-8")
    (tmp_path / "bad-yaml.yaml").write_text("id: [unclosed\ntitle: x\n", encoding="utf-8")
    no_id = "title: x\ndefault: maybe\nsource: good.txt\n"
    (tmp_path / "no-id.yaml").write_text(no_id, encoding="utf-8")
    (tmp_path / "no-text.yaml").write_text("id: no-text\n", encoding="utf-8")
    (tmp_path / "bad-text.txt").write_text("Nothing to see here.\n", encoding="utf-8")
    (tmp_path / "bad-text.yaml").write_text("id: bad-text\n", encoding="utf-8")
    with pytest.raises(ValidationError) as raised:
        load_evaluations(tmp_path)
    found = {(p.source, p.field) for p in raised.value.problems}
    assert found == {
        ("bad-yaml.yaml", ""),
        ("no-id.yaml", "id"),
        ("no-id.yaml", "default"),
        ("no-text.yaml", "source"),
        ("bad-text.txt", "title"),
        ("bad-text.txt", "period"),
        ("bad-text.txt", "recommendations"),
    }
    messages = {p.source + ":" + p.field: p for p in raised.value.problems}
    assert messages["bad-yaml.yaml:"].line is not None
    assert "'no-text.txt'" in messages["no-text.yaml:source"].message
    assert "expected a slug" in messages["no-id.yaml:id"].message


def test_load_evaluations_reports_a_duplicate_id(tmp_path):
    for name in ("a", "b"):
        shutil.copy(EVALUATIONS / "private-sector-2021.txt", tmp_path / f"{name}.txt")
        (tmp_path / f"{name}.yaml").write_text("id: same\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="b.yaml:id: id 'same' is already used by a.yaml"):
        load_evaluations(tmp_path)


def test_load_evaluations_reports_a_missing_folder(tmp_path):
    with pytest.raises(ValidationError, match="folder not found"):
        load_evaluations(tmp_path / "nowhere")
