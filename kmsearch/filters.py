"""Search filters: parsed once from request parameters, applied the same way in every search arm."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .documents import IndexDoc
from .errors import Problem, ValidationError
from .records import LESSON_KINDS, STATUSES
from .taxonomy import Taxonomy

# filter name -> (IndexDoc attribute, taxonomy vocabulary or fixed choices)
FACETS: dict[str, tuple[str, str | tuple[str, ...]]] = {
    "division": ("division", "divisions"),
    "nexus": ("nexus_areas", "nexus_areas"),
    "sdg": ("sdgs", "sdgs"),
    "partnership_type": ("partnership_types", "partnership_types"),
    "partner_type": ("partner_types", "partner_types"),
    "status": ("status", STATUSES),
    "kind": ("kind", LESSON_KINDS),
    "type": ("type", ("case", "lesson")),
}
YEAR_RANGE = (1990, 2100)


@dataclass(frozen=True)
class Filters:
    """Values within one facet are alternatives (OR); different facets must all hold (AND)."""

    division: tuple[str, ...] = ()
    nexus: tuple[str, ...] = ()
    sdg: tuple[int, ...] = ()
    partnership_type: tuple[str, ...] = ()
    partner_type: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    good_practice: bool = False

    def is_empty(self) -> bool:
        return self == Filters()

    def matches(self, doc: IndexDoc) -> bool:
        for name, (attribute, _) in FACETS.items():
            wanted = getattr(self, name)
            if not wanted:
                continue
            value = getattr(doc, attribute)
            values = value if isinstance(value, list) else [value]
            if not set(wanted) & set(values):
                return False
        if self.good_practice and not doc.good_practice:
            return False
        if self.year_from is not None or self.year_to is not None:
            low = self.year_from if self.year_from is not None else YEAR_RANGE[0]
            high = self.year_to if self.year_to is not None else YEAR_RANGE[1]
            if not any(low <= year <= high for year in doc.years):
                return False
        return True

    def to_params(self) -> dict[str, list[str]]:
        """The URL parameters that give these filters back, for links and bookmarks."""
        params: dict[str, list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple) and value:
                params[f.name] = [str(v) for v in value]
            elif isinstance(value, bool) and value:
                params[f.name] = ["1"]
            elif isinstance(value, int) and not isinstance(value, bool):
                params[f.name] = [str(value)]
        return params

    def toggled(self, name: str, value: Any) -> Filters:
        """A copy with ``value`` added to facet ``name``, or removed when already there."""
        current = getattr(self, name)
        new = tuple(v for v in current if v != value) if value in current else (*current, value)
        return _replace(self, name, new)


def _replace(filters: Filters, name: str, value: Any) -> Filters:
    data = {f.name: getattr(filters, f.name) for f in fields(filters)}
    data[name] = value
    return Filters(**data)


def parse_filters(params: Mapping[str, Any], taxonomy: Taxonomy, source: str = "query") -> Filters:
    """Read filters from request-like parameters (single values or lists), by code or name.

    Unknown values raise ``ValidationError`` naming the parameter and the accepted values.
    """
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name, (_, vocabulary) in FACETS.items():
        raw = _as_list(params, name)
        resolved = []
        for item in raw:
            code = _resolve(item, vocabulary, taxonomy)
            if code is None:
                accepted = _accepted(vocabulary, taxonomy)
                problems.append(
                    Problem(source, name, f"unknown value {item!r}; expected one of {accepted}")
                )
            elif code not in resolved:
                resolved.append(code)
        values[name] = tuple(resolved)
    for name in ("year_from", "year_to"):
        raw = _as_list(params, name)
        if raw:
            year = raw[-1]
            if not year.isdigit() or not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
                problems.append(
                    Problem(source, name, f"expected a year {YEAR_RANGE[0]}-{YEAR_RANGE[1]}, "
                            f"found {year!r}")
                )
            else:
                values[name] = int(year)
    flag = _as_list(params, "good_practice")
    if flag:
        if flag[-1].lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off", ""}:
            message = f"expected 1 or 0, found {flag[-1]!r}"
            problems.append(Problem(source, "good_practice", message))
        values["good_practice"] = flag[-1].lower() in {"1", "true", "yes", "on"}
    if problems:
        raise ValidationError(problems)
    return Filters(**values)


def _as_list(params: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(params, "getlist"):
        raw = params.getlist(name)
    else:
        raw = params.get(name, [])
        raw = raw if isinstance(raw, list | tuple) else [raw]
    items = []
    for value in raw:
        if value is None:
            continue
        items.extend(part.strip() for part in str(value).split(",") if part.strip())
    return items


def _resolve(value: str, vocabulary: str | tuple[str, ...], taxonomy: Taxonomy) -> Any:
    if isinstance(vocabulary, tuple):
        folded = value.casefold()
        return folded if folded in vocabulary else None
    text = value.removeprefix("SDG ").removeprefix("sdg") if vocabulary == "sdgs" else value
    term = taxonomy.vocabulary(vocabulary).resolve(text.strip())
    if term is None:
        return None
    return int(term.code) if vocabulary == "sdgs" else term.code


def _accepted(vocabulary: str | tuple[str, ...], taxonomy: Taxonomy) -> str:
    codes = vocabulary if isinstance(vocabulary, tuple) else taxonomy.vocabulary(vocabulary).codes()
    return ", ".join(codes)

NO_FILTERS = Filters()
