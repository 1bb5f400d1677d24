"""How a register's columns and words become corpus fields: a mapping file, read and checked,
applied to each row; and a first mapping proposed for a sheet not seen before."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ValidationError
from ..taxonomy import Taxonomy
from .sheets import Row
from .slugs import slug
from .synonyms import fold, synonym
from .validation import FIELDS

LIST_FIELDS = ("partnership_types", "nexus_areas", "sdgs", "recommendations", "partners")
TARGETS = (*FIELDS, "body", "partner_type", "extra")  # plus "extra.<name>"
SEPARATORS = {"lessons": "|"}  # every other list field: ";"
YEAR = re.compile(r"(?<!\d)(1[89]\d\d|2[01]\d\d)(?!\d)")
GOAL = re.compile(r"(?:\b(?:sdg|goal)s?\s*)?(?<![\d.])(\d{1,2})(?:\.[0-9a-z]+)?(?![\d])", re.I)
BRACKETED = re.compile(r"(?s)(.*\S)\s*\(([^()]*)\)\s*")  # "Zona Libre de Turismo (ZOLITUR)"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
KEYS = {"columns", "defaults", "values", "split", "id", "id_prefix", "source_key"}


@dataclass
class Mapping:
    """A checked mapping: target field -> columns, defaults, value synonyms, separators."""

    columns: dict[str, list[str]]
    defaults: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> folded -> value
    split: dict[str, str] = field(default_factory=dict)
    id_template: str = ""
    id_prefix: str = ""
    source_key: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(vars(self), sort_keys=True).encode()).hexdigest()[:16]

    def apply(self, row: Row, taxonomy: Taxonomy) -> tuple[dict[str, Any], str]:
        """The corpus fields and the Markdown body a row stands for (not validated yet)."""
        fields: dict[str, Any] = {}
        for target, columns in self.columns.items():
            cells = [clean(row.cells.get(c, "")) for c in columns]
            if target == "body":
                fields[target] = "\n\n".join(c for c in cells if c)
            else:
                fields[target] = " ".join(c for c in cells if c)
        for target, value in self.defaults.items():
            if not fields.get(target):
                fields[target] = value
        body = fields.pop("body", "") or ""
        partner_type = self._value("partner_type", fields.pop("partner_type", "") or "")
        result: dict[str, Any] = {}
        for target, value in fields.items():
            if value in ("", None):
                continue
            if target.startswith("extra."):
                result[target.removeprefix("extra.")] = value
            elif target == "extra":
                result.update(_json_object(value) or {"extra": value})
            elif target == "partners":
                result[target] = [self._partner(item, partner_type, taxonomy)
                                  for item in self._items(target, value)]
            elif target == "sdgs":
                result[target] = goals(value)
            elif target in ("start_year", "end_year"):
                found = YEAR.search(str(value))
                result[target] = int(found.group(1)) if found else value
            elif target == "lessons":
                result[target] = [_lesson(item) for item in self._items(target, value)]
            elif target in LIST_FIELDS:
                result[target] = [self._value(target, item) for item in self._items(target, value)]
            else:
                result[target] = self._value(target, value) if isinstance(value, str) else value
        return result, body

    def key(self, row: Row, fields: dict[str, Any]) -> str:
        """The row's stable key: the source-key column, else the id the row asks for."""
        if self.source_key:
            return clean(row.cells.get(self.source_key, ""))
        return str(fields.get("id") or "")

    def wanted_id(self, row: Row, fields: dict[str, Any]) -> str:
        """The id a new note from this row gets: the template, or the row's id, or its title."""
        if self.id_template:
            values = {**row.cells, **{k: v for k, v in fields.items() if isinstance(v, str)}}
            text = re.sub(r"\{([^{}]+)\}", lambda m: str(values.get(m.group(1), "")),
                          self.id_template)
            return self.id_prefix + (slug(text) or f"row-{row.number}")
        for text in (fields.get("id"), fields.get("title"), self.key(row, fields)):
            candidate = slug(str(text or ""))
            if len(re.sub(r"[^a-z]", "", candidate)) >= 3:  # words, not a bare number
                return self.id_prefix + candidate
        return f"{self.id_prefix}row-{row.number}"

    def _items(self, target: str, value: Any) -> list[str]:
        if isinstance(value, list):
            return [str(v) for v in value]
        separator = self.split.get(target) or SEPARATORS.get(target, ";")
        return [part.strip() for part in str(value).split(separator) if part.strip()]

    def _value(self, target: str, value: str) -> str:
        """A sheet word in kmsearch's words: the mapping's synonyms, then the built-in ones."""
        mapped = self.values.get(target, {}).get(fold(value))
        if mapped is not None:
            return mapped
        vocabulary = "partner_types" if target == "partner_type" else target
        return synonym(vocabulary, value) or value

    def _partner(self, item: str, row_type: str, taxonomy: Taxonomy) -> dict[str, Any]:
        """``Name (type)`` when the bracket holds a partner type; otherwise the bracket is part
        of the name (``Zona Libre de Turismo (ZOLITUR)``) and the row's or default type applies."""
        match = BRACKETED.fullmatch(item)
        if match:
            kind = self._value("partner_type", match.group(2).strip())
            if taxonomy.partner_types.resolve(kind):
                return {"name": match.group(1), "type": kind}
        return {"name": item, "type": row_type or None}


def goals(value: Any) -> list[Any]:
    """SDG numbers from "5; 14.1; SDG 17; Goal 3": targets count for their goal."""
    if isinstance(value, list):
        value = "; ".join(map(str, value))
    found = [int(m.group(1)) for m in GOAL.finditer(str(value))]
    return list(dict.fromkeys(found)) or [str(value)]


def clean(text: str) -> str:
    """A cell without control characters (they break files and spreadsheets alike)."""
    return CONTROL.sub(" ", text).strip()


def row_hash(fields: dict[str, Any], body: str) -> str:
    data = json.dumps([fields, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None


def _lesson(item: str) -> dict[str, Any]:
    kind, colon, text = item.partition(":")
    if colon and re.fullmatch(r"[\w -]+", kind.strip()):
        return {"kind": kind.strip(), "text": text.strip()}
    return {"kind": None, "text": item}


def identity_mapping(header: list[str]) -> Mapping | None:
    """The mapping of a sheet already in kmsearch's layout (``kmsearch export --format csv``)."""
    names = {re.sub(r"\s+", "_", h.strip().casefold()): h for h in header if h.strip()}
    if not {"id", "title", "division"} <= set(names):
        return None
    return Mapping(columns={n: [h] for n, h in names.items() if n in TARGETS})


def load_mapping(path: Path, header: list[str], taxonomy: Taxonomy) -> Mapping:
    """Read a mapping file and check it against the sheet's columns; every problem at once."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        message = " ".join(f"cannot read the mapping: {exc}".split())
        raise ValidationError([Problem(source, "", message)]) from exc
    return check_mapping(data, header, taxonomy, source)


def check_mapping(data: Any, header: list[str], taxonomy: Taxonomy, source: str) -> Mapping:
    problems: list[Problem] = []

    def fail(where: str, message: str) -> None:
        problems.append(Problem(source, where, message))

    if not isinstance(data, dict):
        raise ValidationError([Problem(source, "", "expected a mapping with a 'columns:' section")])
    for key in set(map(str, data)) - KEYS:
        fail(key, f"unknown section; expected one of {', '.join(sorted(KEYS))}")
    columns: dict[str, list[str]] = {}
    raw_columns = data.get("columns") or {}
    if not isinstance(raw_columns, dict):
        fail("columns", "expected 'field: column name' lines")
        raw_columns = {}
    for target, names in raw_columns.items():
        target = str(target)
        names = [str(n) for n in (names if isinstance(names, list) else [names]) if n is not None]
        if target not in TARGETS and not target.startswith("extra."):
            fail(f"columns.{target}", f"unknown field; expected one of {', '.join(TARGETS)} or "
                 "extra.<name>")
        for name in names:
            if name not in header:
                fail(f"columns.{target}", f"the sheet has no column {name!r}; its columns are "
                     f"{', '.join(repr(h) for h in header if h)}")
        if names:
            columns[target] = names
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        fail("defaults", "expected 'field: value' lines")
        defaults = {}
    values: dict[str, dict[str, str]] = {}
    for target, table in (data.get("values") or {}).items():
        if not isinstance(table, dict):
            fail(f"values.{target}", "expected 'sheet value: kmsearch value' lines")
            continue
        values[str(target)] = {fold(k): str(v) for k, v in table.items() if v is not None}
    for target in ("title", "division"):
        if target not in columns and not defaults.get(target):
            options = f" (one of {', '.join(taxonomy.divisions.codes())})" \
                if target == "division" else ""
            fail(target, f"required: map a column to {target} under 'columns:' or give "
                 f"'defaults: {{{target}: ...}}'{options}")
    source_key = str(data.get("source_key") or "")
    if source_key and source_key not in header:
        fail("source_key", f"the sheet has no column {source_key!r}")
    if problems:
        raise ValidationError(problems)
    split = {str(k): str(v) for k, v in (data.get("split") or {}).items()}
    return Mapping(columns, {str(k): v for k, v in defaults.items()}, values, split,
                   str(data.get("id") or ""), str(data.get("id_prefix") or ""), source_key)
