"""Property-based fuzzing (Hypothesis) of every parser of untrusted text: the query parser, the
filter parser, the front-matter reader, the CSV/XLSX row reader and the management-response
parser. Each may only raise the project's own ValidationError, within bounded time and memory
per input. The counts and the slowest case are printed at the end of the module."""

import datetime

import pytest
from contribution_library import xlsx_bytes
from hostile_inputs import GOOD, Cost, fuzz, measured, report_line
from hypothesis import given
from hypothesis import strategies as st

from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import ValidationError
from kmsearch.files.corpus import parse_case_text
from kmsearch.files.responses import parse_management_response
from kmsearch.files.validation import FIELDS, note_from_fields
from kmsearch.filters import FACETS, parse_filters
from kmsearch.index.querysyntax import QuerySyntax
from kmsearch.taxonomy import load_taxonomy
from kmsearch.workflow.uploads import read_upload

TAXONOMY = load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")
SYNTAX = QuerySyntax(TAXONOMY)
COSTS: dict[str, Cost] = {}
SECONDS, MEGABYTES = 5.0, 64  # per input: generous bounds that a bomb or a hang would break

# Pieces that hit the parsers' special cases, mixed with arbitrary text.
DIGITS = st.sampled_from(["0", "1", "17", "2019", "²", "¹²", "٣", "१९९९", "9" * 5000, "-3",
                          "1e309", "0x_", "0x" + "f" * 300, "nan", "inf", " 2020 ", "2020,2021"])
WORDS = st.sampled_from(["trade", "Transport", "sdg 5", "SDG", "data-sharing", "case", "lesson",
                         "AND", "OR", "NOT", "year:", "division:", "sdg:", "type:", "kind:",
                         "status:", "partner:", "[", "]", "TO", '"', "*", "?", "(", ")", "^2",
                         "~", ":", "\\", "\x00", "\ud800", "\u202e", "'", "year:[2000 TO 2010]"])
TEXT = st.one_of(st.text(max_size=60), DIGITS, WORDS,
                 st.lists(st.one_of(WORDS, DIGITS, st.text(max_size=8)), max_size=12)
                 .map(" ".join))
YAML_SCALARS = st.sampled_from([
    "2019-13-01", "2019-02-30", "0000-01-01", "2019-01-01 25:00:00", "!!int 'abc'",
    "!!float 'x'", "!!bool maybe", "!!timestamp 'nope'", "0x_", "9" * 5000, "0b2", "0o9",
    ".inf", ".nan", "~", "null", "yes", "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]",
    "&a x", "*a", "{2019-01-01: x}", "[1, [2, [3]]]", "'quoted'", '"\\ud800"', "|\n  block",
    "!!python/object:os.system x", "- a\n- b", "{a: 1, a: 2}", "[" * 60 + "]" * 60, "? [a]\n: b",
    "1_000", "+12", "-0", "1:20", "2001-12-14t21:59:43.10-05:00", "!!str", "!<tag:x> y", "%",
])


def _report(name: str) -> Cost:
    return COSTS.setdefault(name, Cost())


@pytest.fixture(scope="module", autouse=True)
def print_costs(request):
    yield
    for name, cost in COSTS.items():
        report_line(request.config, f"fuzz {name}: {cost.runs:,} inputs, slowest "
                    f"{cost.slowest * 1000:.1f} ms ({cost.slowest_case}), peak "
                    f"{cost.peak / 2**20:.1f} MB in {cost.traced:,} traced")


@fuzz(1000)
@given(TEXT)
def test_the_query_parser_never_raises(text):
    with measured(_report("query parser"), text, SECONDS, MEGABYTES):
        SYNTAX.parse(text)


PARAMS = st.dictionaries(
    st.sampled_from([*FACETS, "year_from", "year_to", "good_practice", "q", "other"]),
    st.one_of(TEXT, st.lists(TEXT, max_size=4), st.none(), st.integers()), max_size=6)


@fuzz(1000)
@given(PARAMS)
def test_the_filter_parser_raises_only_validation_errors(params):
    with measured(_report("filter parser"), params, SECONDS, MEGABYTES):
        try:
            parse_filters(params, TAXONOMY)
        except ValidationError as error:
            assert error.problems


FRONT_LINE = st.builds(
    lambda key, value: f"{key}: {value}",
    st.sampled_from([*FIELDS, "extra", "nested", "x y", "'q'", "? k", "- ", "<<"]),
    st.one_of(YAML_SCALARS, TEXT.filter(lambda t: "\n" not in t and "---" not in t)),
)
FRONT_MATTER = st.one_of(
    st.lists(FRONT_LINE, max_size=12).map(lambda lines: "---\n" + "\n".join(lines) +
                                          "\n---\nBody text.\n"),
    st.lists(FRONT_LINE, max_size=4).map(lambda lines: GOOD.replace(
        "\n---\n", "\n" + "\n".join(lines) + "\n---\n", 1) if lines else GOOD),
    st.text(max_size=200).map(lambda t: "---\n" + t + "\n---\n"),
    st.text(max_size=200),
)


@fuzz(1000)
@given(FRONT_MATTER)
def test_the_front_matter_reader_raises_only_validation_errors(text):
    with measured(_report("front-matter reader"), text, SECONDS, MEGABYTES):
        try:
            parse_case_text(text, source="fuzz.md", taxonomy=TAXONOMY,
                            default_evaluation="private-sector-2021")
        except ValidationError as error:
            assert error.problems and all(p.source == "fuzz.md" for p in error.problems)


COLUMNS = st.sampled_from([*FIELDS, "body", "extra", "", " Title ", "x"])
CELLS = st.one_of(TEXT, st.sampled_from(['{"a": 1}', "[" * 3000, '{"x": ' + "[" * 50 + "]" * 50
                                         + "}", "Name (type); Other", "lesson: a | pitfall: b"]))


def _check_upload(name: str, data: bytes) -> None:
    upload = read_upload(name, data)
    for entry in upload.entries:
        try:
            note_from_fields(entry.fields, entry.body, source=entry.source, taxonomy=TAXONOMY,
                             default_evaluation="private-sector-2021")
        except ValidationError as error:
            assert error.problems


@fuzz(500)
@given(st.lists(COLUMNS, min_size=1, max_size=8), st.lists(st.lists(CELLS, max_size=9),
                                                           max_size=6), st.sampled_from(",;\t"))
def test_the_csv_row_reader_raises_only_validation_errors(header, rows, separator):
    def line(cells):
        return separator.join('"' + c.replace('"', '""') + '"' for c in cells)

    text = "\n".join([line(header), *(line(row) for row in rows)])
    data = text.encode("utf-8", "surrogatepass")
    with measured(_report("CSV row reader"), text, SECONDS, MEGABYTES):
        _check_upload("fuzz.csv", data)


XLSX_CELLS = st.one_of(
    st.none(), st.integers(min_value=-10**15, max_value=10**15), st.floats(allow_nan=False),
    st.dates(min_value=datetime.date(1900, 3, 1)), st.booleans(),
    st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc"]), max_size=40), DIGITS,
)


@fuzz(100)
@given(st.lists(st.lists(XLSX_CELLS, min_size=1, max_size=6), min_size=1, max_size=5),
       st.lists(COLUMNS, min_size=1, max_size=6))
def test_the_xlsx_row_reader_raises_only_validation_errors(rows, header):
    data = xlsx_bytes([header, *rows])
    with measured(_report("XLSX row reader"), rows, SECONDS, MEGABYTES):
        _check_upload("fuzz.xlsx", data)


@fuzz(300)
@given(st.binary(max_size=400))
def test_broken_xlsx_bytes_are_a_problem_not_a_crash(data):
    with measured(_report("XLSX bytes"), data, SECONDS, MEGABYTES):
        upload = read_upload("fuzz.xlsx", b"PK\x03\x04" + data)
        assert upload.problems or upload.entries is not None


RESPONSE_LINE = st.one_of(
    st.sampled_from(["Evaluation Title: Fuzz", "Period of Review: 2017-2021",
                     "Date of Evaluation: 31 December 2023", "Date of Evaluation: 31/13/2023",
                     "Recommendation 1: Do it.", "Recommendation 2", "Recommendation " + "9" * 5000,
                     "Recommendation ٣: x", "Management Response: accepted",
                     "Follow up actions and responsibilities:", "Responsibility: PMU",
                     "Timeline: 31 December 2023", "Timeline: Febtember 2020", "Timeline: 2019",
                     "Management response, evaluation, PMU, UNECE", "Page 3 of 9", "", "\f"]),
    TEXT,
)


@fuzz(500)
@given(st.lists(RESPONSE_LINE, max_size=25), st.booleans())
def test_the_management_response_parser_raises_only_validation_errors(lines, strict):
    text = "\n".join(lines)
    with measured(_report("management-response parser"), text, SECONDS, MEGABYTES):
        try:
            parse_management_response(text, evaluation_id="fuzz-2024", strict=strict)
        except ValidationError as error:
            assert error.problems
