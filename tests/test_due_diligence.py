"""Every rule of the shipped due-diligence file: each exclusion, each elevating factor, the
checklist answers, the simplified path and when it is refused, expiry; and the file's checks."""

from datetime import date, datetime

import pytest

from kmsearch.config import PROJECT_ROOT
from kmsearch.errors import ValidationError
from kmsearch.files.duediligence import load_rules
from kmsearch.workflow.screening import Facts, assess, expiry, screening_row

RULES = load_rules(PROJECT_ROOT / "corpus" / "due-diligence.yaml")
ALL_NO_FLAGS = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no",
                "litigation": "no", "global-compact": "yes", "governance": "yes"}


def facts(**changes) -> Facts:
    return Facts(**{"partner": "Quiet Software Ltd", "partner_type": "business",
                    "sector": "software", "text": "Training material on e-invoicing."} | changes)


def rules_of(result) -> list[str]:
    return [r.rule for r in result.reasons]


def test_the_shipped_file_loads_with_every_part():
    assert {s.code for s in RULES.sectors} == {"weapons", "tobacco"}
    assert len(RULES.sanctions) == 4
    assert {f.code for f in RULES.factors} == {
        "contribution-above-50000", "contribution-above-500000", "emblem", "personal-data",
        "partner-type"}
    assert RULES.simplified_questions == ["sector-confirmed", "controversies",
                                          "commercial-advantage"]


def test_nothing_declared_is_low_and_may_take_the_simplified_path():
    result = assess(RULES, facts())
    assert (result.tier, result.excluded, result.simplified_allowed) == ("low", False, True)
    assert rules_of(result) == ["full:no-flags"]


@pytest.mark.parametrize(("field", "value", "sector"), [
    ("sector", "Small arms and ammunition", "weapons"),
    ("text", "We manufacture firearms for hunters and want to sponsor a forum.", "weapons"),
    ("sector", "Tobacco products", "tobacco"),
    ("partner", "Blue Cigarettes Ltd", "tobacco"),
])
def test_an_excluded_sector_makes_the_tier_high_and_excludes(field, value, sector):
    result = assess(RULES, facts(**{field: value}))
    assert result.tier == "high" and result.excluded
    assert f"exclusion:{sector}" in rules_of(result)
    assert not result.simplified_allowed


def test_a_word_inside_another_word_is_not_an_exclusion():
    assert not assess(RULES, facts(text="Harmless armchairs and tobacconist-free shops")).excluded


@pytest.mark.parametrize("name", ["Grimwald Arms Trading Limited", "OBSIDIAN SHELL HOLDINGS",
                                  "ООО Черноморская Экспортная Компания",
                                  "Vantor Dual Use Components"])
def test_an_entity_on_the_sanctions_list_is_excluded_under_any_spelling(name):
    result = assess(RULES, facts(partner=name))
    assert result.excluded and "exclusion:sanctions" in rules_of(result)
    assert result.tier == "high"


@pytest.mark.parametrize(("changes", "rule", "tier"), [
    ({"amount": 60_000}, "factor:contribution-above-50000", "medium"),
    ({"amount": 60_000, "currency": "EUR"}, "factor:contribution-above-50000", "medium"),
    ({"amount": 600_000}, "factor:contribution-above-500000", "high"),
    ({"emblem": True}, "factor:emblem", "medium"),
    ({"personal_data": True}, "factor:personal-data", "high"),
    ({"partner_type": "industry-association"}, "factor:partner-type", "medium"),
    ({"partner_type": "other"}, "factor:partner-type", "medium"),
])
def test_each_elevating_factor_raises_the_tier_and_says_so(changes, rule, tier):
    result = assess(RULES, facts(**changes))
    assert rule in rules_of(result)
    assert result.tier == tier and not result.excluded
    assert rule in [r.rule for r in result.deciding]
    assert not result.simplified_allowed


def test_the_threshold_is_compared_in_the_rules_currency():
    assert "factor:contribution-above-50000" not in rules_of(assess(RULES, facts(amount=48_000)))
    converted = assess(RULES, facts(amount=48_000, currency="GBP"))  # 60,960 USD
    assert "factor:contribution-above-50000" in rules_of(converted)


def test_an_unknown_currency_is_refused_with_the_choices():
    with pytest.raises(ValidationError, match="USD"):
        assess(RULES, facts(amount=10, currency="XYZ"))


def test_small_contributions_keep_the_simplified_path_larger_ones_lose_it():
    assert assess(RULES, facts(amount=10_000)).simplified_allowed
    bigger = assess(RULES, facts(amount=12_000))
    assert not bigger.simplified_allowed and bigger.tier == "low"
    assert "simplified:max-amount" in [b.rule for b in bigger.blockers]


@pytest.mark.parametrize("question", [q.code for q in RULES.questions])
def test_each_checklist_answer_that_flags_raises_the_tier(question):
    spec = RULES.question(question)
    answers = ALL_NO_FLAGS | {question: spec.flag_when}
    result = assess(RULES, facts(), answers, "full")
    assert result.tier == spec.tier
    assert f"checklist:{question}" in rules_of(result)


def test_the_simplified_path_asks_three_questions_and_records_only_them():
    short = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
    row = screening_row(RULES, subject_type="proposal", subject_id="P-1", division="",
                        facts=facts(), path="simplified", answers=short, author="rita",
                        when=datetime(2026, 1, 31, 10, 0))
    assert row["tier"] == "low" and row["answers"] == short
    assert row["reasons"][0]["rule"] == "simplified:no-flags"
    assert row["expires_on"] == date(2028, 1, 31)
    assert row["screened_by"] == "rita" and row["screened_at"] == "2026-01-31T10:00:00"


def test_the_simplified_path_is_refused_when_a_factor_applies():
    short = {"sector-confirmed": "yes", "controversies": "no", "commercial-advantage": "no"}
    with pytest.raises(ValidationError, match="Use of the UN or UNECE name or emblem"):
        screening_row(RULES, subject_type="proposal", subject_id="P-1", division="",
                      facts=facts(emblem=True), path="simplified", answers=short, author="r")


def test_a_missing_answer_is_refused_by_question():
    with pytest.raises(ValidationError) as caught:
        screening_row(RULES, subject_type="case", subject_id="x", division="trade",
                      facts=facts(), path="full", answers={"sector-confirmed": "yes"}, author="r")
    assert {p.field for p in caught.value.problems} == set(ALL_NO_FLAGS) - {"sector-confirmed"}


def test_expiry_follows_the_tier_and_clamps_month_ends():
    assert expiry(RULES, "low", date(2024, 2, 29)) == date(2026, 2, 28)
    assert expiry(RULES, "medium", date(2025, 8, 31)) == date(2026, 8, 31)
    assert expiry(RULES, "high", date(2025, 8, 31)) == date(2026, 2, 28)


def test_a_broken_rules_file_is_refused_with_every_problem(tmp_path):
    (tmp_path / "due-diligence.yaml").write_text(
        "currency: XXX\nexchange_rates: {USD: 1}\nvalidity_months: {low: 12}\n"
        "exclusions: {sectors: [{code: w, label: W, keywords: [gun]}],"
        " sanctions: {file: missing.txt}}\n"
        "elevating_factors: [{code: e, label: E, kind: glitter, tier: severe}]\n"
        "simplified: {max_amount: -1, checklist: [nope]}\n"
        "checklist: [{code: q, question: 'Q?', flag_when: maybe, tier: low}]\n"
        "surprise: 1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_rules(tmp_path / "due-diligence.yaml")
    fields = {p.field for p in caught.value.problems}
    assert {"currency", "validity_months", "exclusions.sanctions.file",
            "elevating_factors[0].kind", "elevating_factors[0].tier", "simplified.checklist",
            "simplified.max_amount", "checklist[0].flag_when", ""} <= fields
    assert all(p.source.endswith("due-diligence.yaml") for p in caught.value.problems)
