"""Nexus areas, SDGs, divisions, partner and partnership types, loaded from ``taxonomy.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem, ValidationError

VOCABULARIES = ("nexus_areas", "sdgs", "divisions", "partner_types", "partnership_types")


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    description: str = ""


@dataclass
class Vocabulary:
    """One list of terms, looked up by code or display name, case-insensitively."""

    name: str
    terms: list[Term]
    _lookup: dict[str, Term] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for term in self.terms:
            self._lookup[_fold(term.code)] = term
            self._lookup[_fold(term.name)] = term

    def resolve(self, value: object) -> Term | None:
        """The term a code or display name stands for, or None."""
        return self._lookup.get(_fold(str(value)))

    def get(self, code: str) -> Term:
        return self._lookup[_fold(code)]

    def codes(self) -> list[str]:
        return [t.code for t in self.terms]

    def name_of(self, code: object) -> str:
        term = self.resolve(code)
        return term.name if term else str(code)

    def __iter__(self):
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)


@dataclass
class Taxonomy:
    nexus_areas: Vocabulary
    sdgs: Vocabulary
    divisions: Vocabulary
    partner_types: Vocabulary
    partnership_types: Vocabulary
    core_sdgs: list[int]
    cross_cutting_sdgs: list[int]

    def vocabulary(self, name: str) -> Vocabulary:
        return getattr(self, name)

    def sdg_label(self, number: int) -> str:
        return f"SDG {number}: {self.sdgs.name_of(number)}"

    def to_dict(self) -> dict:
        return {
            name: [vars(t) for t in self.vocabulary(name)] for name in VOCABULARIES
        } | {"core_sdgs": self.core_sdgs, "cross_cutting_sdgs": self.cross_cutting_sdgs}


def _fold(value: str) -> str:
    return " ".join(value.strip().casefold().split())


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and validate ``taxonomy.yaml``; every problem is reported at once."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError([Problem(source, "", f"cannot read taxonomy: {exc}")]) from exc
    if not isinstance(data, dict):
        raise ValidationError([Problem(source, "", "expected a mapping of vocabularies")])
    problems: list[Problem] = []
    vocabularies = {}
    for name in VOCABULARIES:
        vocabularies[name] = Vocabulary(name, _terms(data.get(name), name, source, problems))
    codes = {int(t.code) for t in vocabularies["sdgs"] if str(t.code).isdigit()}
    if codes != set(range(1, 18)):
        problems.append(Problem(source, "sdgs", "expected the 17 SDGs with codes 1 to 17"))
    lists = {}
    for name in ("core_sdgs", "cross_cutting_sdgs"):
        value = data.get(name, [])
        if not isinstance(value, list) or not set(value) <= codes:
            problems.append(Problem(source, name, "expected a list of SDG numbers 1-17"))
            value = []
        lists[name] = [int(v) for v in value]
    if problems:
        raise ValidationError(problems)
    return Taxonomy(**vocabularies, **lists)


def _terms(items: object, name: str, source: str, problems: list[Problem]) -> list[Term]:
    if not isinstance(items, list) or not items:
        problems.append(Problem(source, name, "expected a non-empty list of {code, name} entries"))
        return []
    terms = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict) or "code" not in item or "name" not in item:
            problems.append(Problem(source, where, f"expected code and name, found {item!r}"))
            continue
        unknown = set(item) - {"code", "name", "description"}
        if unknown:
            problems.append(Problem(source, where, f"unexpected keys {sorted(map(str, unknown))}; "
                                    "quote names that contain commas"))
            continue
        code = str(item["code"]).strip()
        if _fold(code) in seen:
            problems.append(Problem(source, where, f"duplicate code {code!r}"))
            continue
        seen.add(_fold(code))
        description = " ".join(str(item.get("description", "")).split())
        terms.append(Term(code, str(item["name"]).strip(), description))
    return terms
