"""A first mapping for a sheet kmsearch has not seen: columns matched to fields by their names
and values, the sheet's words matched to kmsearch's, written as a commented YAML file to edit."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from typing import Any

import yaml

from ..records import STATUSES
from ..taxonomy import Taxonomy
from .sheets import Row
from .synonyms import fold, synonym
from .validation import SLUG

# Column names registers use for each field, most telling first.
NAMES = {
    "id": ["id", "identifier", "code", "reference", "ref", "commitment id", "partnership id"],
    "title": ["title", "name", "partnership", "commitment", "project", "initiative"],
    "summary": ["summary", "abstract", "short description", "overview"],
    "body": ["description", "details", "text", "narrative", "deliverables", "objectives"],
    "division": ["division", "subprogramme", "subprogram", "unit", "lead division", "section"],
    "partners": ["partners", "partner", "entities", "entity", "organisations", "organizations",
                 "lead entity", "stakeholders", "company"],
    "partner_type": ["partner type", "entity type", "type of entity", "stakeholder type",
                     "organization type", "organisation type", "sector"],
    "partnership_types": ["partnership type", "type of partnership", "modality", "engagement"],
    "nexus_areas": ["nexus", "nexus area", "nexus areas", "theme"],
    "sdgs": ["sdgs", "sdg", "goals", "sdg targets", "targets", "sdg goals"],
    "start_year": ["start", "start date", "start year", "year started", "from", "begin"],
    "end_year": ["end", "end date", "end year", "completion", "completion date", "deadline",
                 "to"],
    "status": ["status", "progress", "state", "stage", "implementation status"],
    "visibility": ["visibility", "access"],
    "lessons": ["lessons", "lessons learned", "lessons learnt"],
}
VOCABULARY = {"status": "status", "partner_type": "partner_types"}


def propose_mapping(header: list[str], rows: Any, taxonomy: Taxonomy, sample: int = 500) -> str:
    """A mapping file (YAML with comments) for ``header``, from up to ``sample`` rows."""
    seen: list[Row] = list(islice(rows, sample))
    chosen: dict[str, str] = {}
    for target, names in NAMES.items():
        column = _best_column(header, names, set(chosen.values()))
        if column:
            chosen[target] = column
    long_text = [h for h in header if h not in chosen.values() and _average(seen, h) > 300]
    if "body" not in chosen and long_text:
        chosen["body"] = long_text[0]
    if "summary" in chosen and _average(seen, chosen["summary"]) > 300:
        chosen.setdefault("body", chosen.pop("summary"))
    key = chosen.get("id")
    if key and not all(SLUG.fullmatch(r.cells.get(key, "")) for r in seen if r.cells.get(key)):
        del chosen["id"]  # not usable as ids ("#OceanAction21244"): a key to match rows only
    lines = ["# Mapping proposed by kmsearch import --propose-mapping: check every line, then run",
             "#   kmsearch import SHEET --mapping THIS-FILE --dry-run",
             "columns:"]
    for target in NAMES:
        if target in chosen:
            lines.append(f"  {target}: {_quote(chosen[target])}")
    unused = [h for h in header if h and h not in chosen.values()]
    for name in unused:
        lines.append(f"  # extra.{_key(name)}: {_quote(name)}  # keep it as an extra field")
    lines.append("defaults:")
    if "division" not in chosen:
        codes = ", ".join(taxonomy.divisions.codes())
        lines.append(f"  division: null   # REQUIRED: one of {codes}")
    lines.append("  visibility: internal")
    if "status" not in chosen:
        lines.append("  status: active")
    lines.append("  # partner_type: business   # the type of partners whose cell names none")
    lines.append("values:")
    for target, vocabulary in VOCABULARY.items():
        if target in chosen:
            codes = taxonomy.partner_types.codes() if target == "partner_type" else STATUSES
            lines += _value_lines(target, vocabulary, codes, seen, chosen[target])
    if "partners" in chosen:
        lines.append("split:")
        lines.append(f"  partners: {_quote(_separator(seen, chosen['partners']))}")
    key = chosen.get("id") or key
    about = "   # the column that identifies a row across imports"
    lines.append(f"source_key: {_quote(key)}{about}" if key else f"# source_key: COLUMN{about}")
    lines.append("# id: \"{Title}\"   # template for the ids of new notes (default: the title)")
    return "\n".join(lines) + "\n"


def _best_column(header: list[str], names: list[str], taken: set[str]) -> str | None:
    folded = {h: fold(h) for h in header if h and h not in taken}
    for name in names:  # an exact name first, then a column whose name contains it as a word
        for column, text in folded.items():
            if text == name:
                return column
    for name in names:
        for column, text in folded.items():
            if len(name) > 3 and f" {name} " in f" {text} ":
                return column
    return None


def _average(rows: list[Row], column: str) -> float:
    lengths = [len(r.cells.get(column, "")) for r in rows if r.cells.get(column)]
    return sum(lengths) / len(lengths) if lengths else 0.0


def _value_lines(
    target: str, vocabulary: str, codes: list[str] | tuple[str, ...], rows: list[Row], column: str
) -> list[str]:
    counts = Counter(r.cells.get(column, "") for r in rows if r.cells.get(column))
    lines = [f"  {target}:"]
    for value, count in counts.most_common(30):
        folded = "-".join(fold(value).split())
        known = folded if folded in codes else synonym(vocabulary, value)
        comment = f"   # {count} rows" + ("" if known else "; kmsearch word unknown: fill it in")
        lines.append(f"    {_quote(value)}: {_quote(known) if known else 'null'}{comment}")
    return lines if len(lines) > 1 else []


def _separator(rows: list[Row], column: str) -> str:
    cells = [r.cells.get(column, "") for r in rows if r.cells.get(column)]
    counts = {sep: sum(c.count(sep) for c in cells) for sep in (";", "|", "\n")}
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    return "," if any("," in c for c in cells) else ";"  # names often hold commas: last resort


def _quote(value: str | None) -> str:
    return yaml.safe_dump(value, default_style=None, width=1000).strip().removesuffix("\n...")


def _key(name: str) -> str:
    return "_".join(fold(name).split()) or "column"
