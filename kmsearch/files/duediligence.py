"""Read and validate the due-diligence rules (``corpus/due-diligence.yaml``) and the sanctions
list beside them; every problem is reported at once, naming the file and the field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ValidationError
from ..records import RISK_LEVELS

FACTOR_KINDS = ("contribution-above", "emblem", "personal-data", "partner-type")
ANSWERS = ("yes", "no")
TOP_KEYS = {"version", "currency", "exchange_rates", "validity_months", "exclusions",
            "elevating_factors", "simplified", "checklist"}


@dataclass(frozen=True)
class Sector:
    code: str
    label: str
    keywords: tuple[str, ...]

    def matches(self, text: str) -> list[str]:
        """The keywords found in ``text`` as whole words, case-insensitively."""
        folded = text.casefold()
        return [k for k in self.keywords
                if re.search(rf"(?<![\w-]){re.escape(k.casefold())}(?![\w-])", folded)]


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    kind: str
    tier: str
    amount: float | None = None
    partner_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    code: str
    question: str
    flag_when: str
    tier: str


@dataclass
class Rules:
    """The due-diligence rules in force, as declared in the corpus."""

    version: str
    currency: str
    exchange_rates: dict[str, float]
    validity_months: dict[str, int]
    sectors: list[Sector]
    sanctions_label: str
    sanctions: list[str]
    factors: list[Factor]
    simplified_label: str
    simplified_max_amount: float
    simplified_questions: list[str]
    questions: list[Question] = field(default_factory=list)
    source: str = ""

    def question(self, code: str) -> Question:
        return next(q for q in self.questions if q.code == code)

    def checklist(self, path: str) -> list[Question]:
        """The questions of the ``simplified`` or the ``full`` path, in the file's order."""
        if path == "simplified":
            return [self.question(code) for code in self.simplified_questions]
        return list(self.questions)


def load_rules(path: Path) -> Rules:
    """The rules in ``path`` and the sanctions file it names, or a ValidationError."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError([Problem(source, "", f"cannot read the rules: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ValidationError([Problem(source, "", "expected a mapping of rules")])
    check = _Checker(source)
    unknown = set(data) - TOP_KEYS
    if unknown:
        check.fail("", f"unexpected keys {sorted(map(str, unknown))}; expected {sorted(TOP_KEYS)}")
    rates = check.mapping(data, "exchange_rates", float)
    currency = check.text(data, "currency")
    if currency and currency not in rates:
        check.fail("currency", f"expected a currency listed in exchange_rates, found {currency!r}")
    validity = check.mapping(data, "validity_months", int)
    if set(validity) != set(RISK_LEVELS):
        check.fail("validity_months", f"expected months for each of {', '.join(RISK_LEVELS)}")
    exclusions = data.get("exclusions") if isinstance(data.get("exclusions"), dict) else {}
    if not exclusions:
        check.fail("exclusions", "expected a mapping with sectors and sanctions")
    sectors = [
        Sector(check.text(item, "code", where), check.text(item, "label", where),
               tuple(str(k) for k in check.items(item, "keywords", f"{where}.keywords")))
        for index, item in enumerate(check.items(exclusions, "sectors", "exclusions.sectors"))
        for where in [f"exclusions.sectors[{index}]"]
    ]
    sanctions_spec = exclusions.get("sanctions") if isinstance(exclusions.get("sanctions"),
                                                               dict) else {}
    sanctions = _sanctions(Path(path).parent, sanctions_spec, check)
    factors = [_factor(item, f"elevating_factors[{i}]", check)
               for i, item in enumerate(check.items(data, "elevating_factors"))]
    questions = [_question(item, f"checklist[{i}]", check)
                 for i, item in enumerate(check.items(data, "checklist"))]
    codes = [q.code for q in questions]
    simplified = data.get("simplified") if isinstance(data.get("simplified"), dict) else {}
    short = [str(c) for c in check.items(simplified, "checklist", "simplified.checklist")]
    for code in short:
        if code not in codes:
            check.fail("simplified.checklist", f"unknown question {code!r}; expected one of "
                       f"{', '.join(codes)}")
    for what, values in (("checklist", codes), ("elevating_factors", [f.code for f in factors]),
                         ("exclusions.sectors", [s.code for s in sectors])):
        for code in {c for c in values if values.count(c) > 1}:
            check.fail(what, f"duplicate code {code!r}")
    max_amount = check.number(simplified, "max_amount", "simplified.max_amount")
    if check.problems:
        raise ValidationError(check.problems)
    return Rules(
        version=str(data.get("version", "")), currency=currency, exchange_rates=rates,
        validity_months=validity, sectors=sectors,
        sanctions_label=str(sanctions_spec.get("label") or "Entity on the sanctions list"),
        sanctions=sanctions, factors=factors,
        simplified_label=str(simplified.get("label") or "Simplified checklist"),
        simplified_max_amount=max_amount or 0.0, simplified_questions=short,
        questions=questions, source=source,
    )


def _factor(item: Any, where: str, check: _Checker) -> Factor:
    kind = check.choice(item, "kind", FACTOR_KINDS, where)
    factor = Factor(check.text(item, "code", where), check.text(item, "label", where), kind,
                    check.choice(item, "tier", RISK_LEVELS, where))
    if kind == "contribution-above":
        return Factor(**vars(factor) | {"amount": check.number(item, "amount", f"{where}.amount")})
    if kind == "partner-type":
        types = tuple(str(t) for t in check.items(item, "partner_types", f"{where}.partner_types"))
        return Factor(**vars(factor) | {"partner_types": types})
    return factor


def _question(item: Any, where: str, check: _Checker) -> Question:
    return Question(check.text(item, "code", where), check.text(item, "question", where),
                    check.choice(item, "flag_when", ANSWERS, where),
                    check.choice(item, "tier", RISK_LEVELS, where))


def _sanctions(folder: Path, spec: dict, check: _Checker) -> list[str]:
    name = spec.get("file")
    if not isinstance(name, str) or not name.strip():
        check.fail("exclusions.sanctions.file", "expected the name of the sanctions list file")
        return []
    path = folder / name
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        check.fail("exclusions.sanctions.file", f"cannot read {path}: {exc}")
        return []
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


class _Checker:
    """Collects problems while reading fields, returning harmless defaults for bad ones."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.source, where, message))

    def _get(self, item: Any, key: str, where: str) -> Any:
        if not isinstance(item, dict):
            self.fail(where, f"expected a mapping, found {item!r}")
            return None
        if key not in item:
            self.fail(f"{where}.{key}".lstrip("."), "missing")
            return None
        return item[key]

    def text(self, item: Any, key: str, where: str = "") -> str:
        value = self._get(item, key, where)
        if value is None:
            return ""
        if not isinstance(value, (str, int)) or not str(value).strip():
            self.fail(f"{where}.{key}".lstrip("."), f"expected some text, found {value!r}")
            return ""
        return str(value).strip()

    def choice(self, item: Any, key: str, choices: tuple[str, ...], where: str) -> str:
        value = self.text(item, key, where)
        if value and value not in choices:
            self.fail(f"{where}.{key}", f"expected one of {', '.join(choices)}; found {value!r}")
        return value

    def number(self, item: Any, key: str, where: str) -> float | None:
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            self.fail(where, f"expected a number of at least 0, found {value!r}")
            return None
        return float(value)

    def items(self, item: Any, key: str, where: str | None = None) -> list:
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, list) or not value:
            self.fail(where or key, f"expected a non-empty list, found {value!r}")
            return []
        return value

    def mapping(self, item: dict, key: str, kind: type) -> dict:
        value = item.get(key)
        if not isinstance(value, dict) or not value:
            self.fail(key, f"expected a mapping, found {value!r}")
            return {}
        result = {}
        for name, number in value.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0:
                self.fail(f"{key}.{name}", f"expected a number above 0, found {number!r}")
                continue
            result[str(name)] = kind(number)
        return result
