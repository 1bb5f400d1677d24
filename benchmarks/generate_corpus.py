"""Write N synthetic but plausible case notes as a full corpus folder, for benchmarks.

Notes recombine the titles, summaries, body sentences, lessons and partner names of the sample
corpus (``corpus/cases``), so keyword and semantic search see realistic term statistics. Each
note draws mostly on notes of one division, which keeps its text and metadata on one topic.

    python benchmarks/generate_corpus.py --notes 10000 --out /tmp/corpus-10k --seed 1
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kmsearch.config import PROJECT_ROOT
from kmsearch.files.corpus import read_corpus
from kmsearch.records import CaseNote
from kmsearch.taxonomy import Taxonomy, load_taxonomy

SAMPLE_CORPUS = PROJECT_ROOT / "corpus"
DEFAULT_EVALUATION = "private-sector-2021"
RECOMMENDATIONS = range(1, 9)
SECTIONS = ("Context", "What was done", "Results", "What we would do differently")
SECTION_SHARES = (0.25, 0.35, 0.25, 0.15)
BODY_WORDS = (150, 500)
PARTNER = "\x00partner\x00"  # stands for a partner's name inside a recombined sentence
SENTENCE_END = re.compile(r"(?<=[a-z0-9)%][.!?])\s+(?=[A-Z])")
TITLE_JOINS = (" for ", " with ", " on ", " in ", " of ", " from ", " to ")
REGIONS = (
    "in Central Asia", "in the Western Balkans", "in the South Caucasus", "in Eastern Europe",
    "across the Danube basin", "in the Mediterranean", "along Euro-Asian corridors",
    "in Nordic countries", "in small island economies", "across the UNECE region",
)
STATUSES = {"completed": 45, "active": 30, "proposed": 15, "discontinued": 10}
VISIBILITIES = {"internal": 75, "public": 15, "restricted": 10}
RISKS = {"low": 60, "medium": 30, "high": 10}


@dataclass
class Source:
    """What one sample note lends: its metadata and its text, partner names replaced."""

    division: str
    nexus_areas: list[str]
    sdgs: list[int]
    partnership_types: list[str]
    title: str
    summary: str
    sections: dict[str, list[str]] = field(default_factory=dict)
    bullets: list[str] = field(default_factory=list)
    lessons: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Material:
    sources: list[Source]
    partners: dict[str, list[str]]  # partner type -> names
    by_division: dict[str, list[Source]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_division = defaultdict(list)
        for source in self.sources:
            self.by_division[source.division].append(source)


def generate_notes(
    n: int, seed: int = 0, *, sample_dir: Path = SAMPLE_CORPUS / "cases"
) -> Iterator[str]:
    """The texts of ``n`` case files, the same for the same seed and sample corpus."""
    for _, text in _generate(n, seed, sample_dir):
        yield text


def _generate(n: int, seed: int, sample_dir: Path) -> Iterator[tuple[str, str]]:
    taxonomy = load_taxonomy(SAMPLE_CORPUS / "taxonomy.yaml")
    material = load_material(sample_dir, taxonomy)
    rng = random.Random(seed)
    for number in range(1, n + 1):
        note = _note(rng, number, material, taxonomy)
        yield note["fields"]["id"], _note_text(note)


def load_material(sample_dir: Path, taxonomy: Taxonomy) -> Material:
    """Sources and partner names from the valid notes of ``sample_dir``, or built-in ones."""
    notes = []
    if Path(sample_dir).is_dir():
        report = read_corpus(sample_dir, taxonomy=taxonomy, default_evaluation=DEFAULT_EVALUATION)
        notes = [note for _, note in report.notes]
    if not notes:
        return _builtin_material()
    partners: dict[str, list[str]] = defaultdict(list)
    for note in notes:
        for partner in note.partners:
            partners[partner.type].append(partner.name)
    return Material([_source(note) for note in notes], dict(partners))


def _source(note: CaseNote) -> Source:
    def neutral(text: str) -> str:
        for partner in note.partners:
            text = text.replace(partner.name, PARTNER)
        return text

    source = Source(
        division=note.division,
        nexus_areas=list(note.nexus_areas),
        sdgs=list(note.sdgs),
        partnership_types=list(note.partnership_types),
        title=note.title,
        summary=neutral(note.summary),
        lessons=[(lesson.kind, neutral(lesson.text)) for lesson in note.lessons],
    )
    for heading, text in _sections(note.body):
        section = _section_of(heading)
        for block in text.split("\n\n"):
            lines = [line.strip() for line in block.splitlines() if line.strip()]
            if lines and all(line.startswith("- ") for line in lines):
                source.bullets.extend(neutral(line[2:]) for line in lines)
            elif lines:
                sentences = SENTENCE_END.split(" ".join(lines))
                source.sections.setdefault(section, []).extend(neutral(s) for s in sentences)
    return source


def _sections(body: str) -> Iterator[tuple[str, str]]:
    heading, lines = "", []
    for line in body.splitlines():
        if line.startswith("#"):
            yield heading, "\n".join(lines)
            heading, lines = line.lstrip("#").strip(), []
        else:
            lines.append(line)
    yield heading, "\n".join(lines)


def _section_of(heading: str) -> str:
    """The standard section a sample heading belongs to ("Results so far" -> "Results")."""
    heading = heading.casefold()
    if not heading or "context" in heading:
        return "Context"
    if "done" in heading or "proposal" in heading:
        return "What was done"
    if "result" in heading or "assessment" in heading or "status" in heading:
        return "Results"
    return "What we would do differently"


def _note(rng: random.Random, number: int, material: Material, taxonomy: Taxonomy) -> dict:
    """The front-matter fields and body of one note, drawn from a few same-division sources."""
    primary = rng.choice(material.sources)
    kin = material.by_division[primary.division]
    sources = [primary, *rng.choices(kin, k=2), rng.choice(material.sources)]
    title = _title(rng, primary, rng.choice(kin))
    partners = _partners(rng, material)
    status = _weighted(rng, STATUSES)
    start = rng.randint(2022, 2024) if status == "proposed" else rng.randint(2016, 2024)
    fields = {
        "id": f"{_slug(title)}-{number:05d}",
        "title": title,
        "summary": _fill(primary.summary if rng.random() < 0.7 else sources[1].summary, partners),
        "division": taxonomy.divisions.name_of(primary.division),
        "partners": [{"name": name, "type": kind} for name, kind in partners],
        "partnership_types": _varied(rng, primary.partnership_types,
                                     taxonomy.partnership_types.codes(), 3),
        "nexus_areas": _varied(rng, primary.nexus_areas, taxonomy.nexus_areas.codes(), 2),
        "sdgs": _varied(rng, primary.sdgs, taxonomy.core_sdgs + taxonomy.cross_cutting_sdgs, 4),
        "recommendations": sorted(rng.sample(RECOMMENDATIONS, rng.randint(0, 3))),
        "start_year": start,
    }
    if status in ("completed", "discontinued"):
        fields["end_year"] = min(start + rng.randint(0, 4), 2024)
    fields |= {
        "status": status,
        "good_practice": status == "completed" and rng.random() < 0.45,
        "visibility": _weighted(rng, VISIBILITIES),
        "risk_level": _weighted(rng, RISKS),
        "lessons": [
            {"kind": kind, "text": _fill(text, partners)}
            for kind, text in _lessons(rng, sources, rng.randint(2, 5))
        ],
    }
    return {"fields": fields, "body": _body(rng, sources, partners)}


def _title(rng: random.Random, first: Source, second: Source) -> str:
    """The head of one sample title joined to the tail of another, sometimes with a region."""
    head, cut = _split_title(first.title)[:2]
    join, tail = _split_title(second.title)[1:]
    title = f"{head}{join}{tail}" if cut and tail else first.title
    if rng.random() < 0.4:
        title = f"{title} {rng.choice(REGIONS)}"
    return title[0].upper() + title[1:]


def _split_title(title: str) -> tuple[str, str, str]:
    lowered = title.casefold()
    cuts = [(lowered.find(join), join) for join in TITLE_JOINS if lowered.find(join) > 0]
    if not cuts:
        return title, "", ""
    at, join = min(cuts)
    return title[:at], join, title[at + len(join):]


def _partners(rng: random.Random, material: Material) -> list[tuple[str, str]]:
    """One to three partners, their names real or recombined from names of the same type."""
    found: dict[str, str] = {}
    types = sorted(material.partners)
    weights = [len(material.partners[t]) for t in types]
    for _ in range(rng.choice((1, 1, 2, 2, 3))):
        kind = rng.choices(types, weights)[0]
        found.setdefault(_partner_name(rng, material.partners[kind]), kind)
    return list(found.items())


def _partner_name(rng: random.Random, names: list[str]) -> str:
    """A real name, or the first word of one joined to the rest of another."""
    name = rng.choice(names)
    head = name.split(" ", 1)
    tail = rng.choice(names).split(" ", 1)
    if rng.random() < 0.3 or len(head) < 2 or len(tail) < 2 or "," in name + tail[1]:
        return name
    if head[1].startswith("of ") or tail[1].startswith("of "):
        return name
    return f"{head[0]} {tail[1]}"


def _varied(rng: random.Random, base: list, choices: list, most: int) -> list:
    """The source's codes, sometimes with one added from ``choices``, at most ``most``."""
    codes = list(base) or [rng.choice(choices)]
    if rng.random() < 0.3:
        extra = rng.choice(choices)
        if extra not in codes:
            codes.append(extra)
    return codes[:most]


def _lessons(rng: random.Random, sources: list[Source], count: int) -> list[tuple[str, str]]:
    pool = list(dict.fromkeys(lesson for source in sources for lesson in source.lessons))
    return rng.sample(pool, min(count, len(pool)))


def _body(rng: random.Random, sources: list[Source], partners: list[tuple[str, str]]) -> str:
    """Four sections of recombined sentences, 150 to 500 words in all (drawn again if not)."""
    for _ in range(5):
        body = _sections_text(rng, sources, partners, rng.randint(BODY_WORDS[0] + 10,
                                                                  BODY_WORDS[1] - 20))
        if BODY_WORDS[0] <= _word_count(body) <= BODY_WORDS[1]:
            break
    return body


def _word_count(markdown: str) -> int:
    return sum(len(line.split()) for line in markdown.splitlines() if not line.startswith("#"))


def _sections_text(
    rng: random.Random, sources: list[Source], partners: list[tuple[str, str]], words: int
) -> str:
    parts = []
    for heading, share in zip(SECTIONS, SECTION_SHARES, strict=True):
        budget = round(words * share)
        if heading == "Results" and rng.random() < 0.5:
            bullets = list(dict.fromkeys(b for s in sources for b in s.bullets))
            if bullets:
                items = _draw(rng, bullets, budget)
                parts.append(f"## {heading}\n\n" + "\n".join(f"- {_fill(b, partners)}"
                                                             for b in items))
                continue
        pool = [s for source in sources for s in source.sections.get(heading, [])]
        pool = pool or [s for source in sources for text in source.sections.values() for s in text]
        pool = list(dict.fromkeys(pool))
        sentences = _draw(rng, pool, budget)
        parts.append(f"## {heading}\n\n" + _fill(" ".join(sentences), partners))
    return "\n\n".join(parts)


def _draw(rng: random.Random, pool: list[str], budget: int) -> list[str]:
    """Sentences drawn without repeats until about ``budget`` words, at least one."""
    order = rng.sample(pool, len(pool))
    chosen, words = [], 0
    for sentence in order:
        length = len(sentence.split())
        if chosen and words + length > budget + 10:
            continue
        chosen.append(sentence)
        words += length
        if words >= budget - 10:
            break
    return chosen


def _fill(text: str, partners: list[tuple[str, str]]) -> str:
    names = [name for name, _ in partners]
    parts = text.split(PARTNER)
    return "".join(part + (names[i % len(names)] if i < len(parts) - 1 else "")
                   for i, part in enumerate(parts))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def _slug(title: str, limit: int = 50) -> str:
    """The title's first words in lower case, joined by hyphens, at most ``limit`` characters."""
    slug = ""
    for word in re.sub(r"[^a-z0-9]+", " ", title.casefold()).split():
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "case"


class _Dumper(yaml.SafeDumper):
    """Writes front matter as the sample corpus does: ``[a, b]`` lists, indented list items."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def represent_list(self, data: list) -> yaml.Node:
        flat = all(not isinstance(item, dict | list) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(list, _Dumper.represent_list)


def _note_text(note: dict) -> str:
    front = yaml.dump(note["fields"], Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                      default_flow_style=False, width=10_000)
    return f"---\n{front}---\n{note['body']}\n"


def _builtin_material() -> Material:
    """A few generic sources, for when the sample corpus is empty."""
    sentences = {
        "Context": [
            "Member States asked the secretariat to collect better data on how companies apply "
            "the standards.",
            "The Working Party had no budget for pilots, so it looked for partners that could "
            "contribute staff time and data.",
        ],
        "What was done": [
            f"{PARTNER} provided experts on a non-reimbursable basis and shared anonymised data.",
            "A memorandum of understanding set out that the results would be public and that "
            "UNECE would not endorse any company.",
        ],
        "Results": [
            "The pilot covered five countries and informed a revised recommendation.",
            "Several governments later used the guidance in their national action plans.",
        ],
        "What we would do differently": [
            "We would agree earlier on data rights and on how long pilot data is kept.",
        ],
    }
    lessons = [
        ("good-practice", "Pilot with a few companies before opening the work to all."),
        ("lesson", "Screen partners for conflicts of interest before the first meeting."),
        ("pitfall", "An unclear exit clause made it hard to end the partnership."),
    ]
    sources = [
        Source(division, [nexus], sdgs, [kind], title,
               f"{PARTNER} worked with UNECE on {title[0].lower()}{title[1:]}.", sentences,
               lessons=lessons)
        for division, nexus, sdgs, kind, title in (
            ("trade", "mobility-connectivity", [9, 17], "standards-development",
             "Electronic trade documents for cross-border supply chains"),
            ("transport", "mobility-connectivity", [3, 11], "expert-contribution",
             "Vehicle safety data for road safety regulations"),
            ("statistics", "measuring-sdgs", [8, 17], "data-sharing",
             "Business data for official statistics on the SDGs"),
            ("forests-land-housing", "natural-resources", [15, 13], "joint-project",
             "Timber market data for sustainable forest management"),
        )
    ]
    partners = {
        "business": ["Meridian Logistics", "Northwind Data Services", "Calder Timber Group"],
        "industry-association": ["Regional Freight Forwarders Association"],
        "academia": ["Institute for Applied Statistics"],
    }
    return Material(sources, partners)


def write_corpus(out: Path, notes: int, seed: int) -> Path:
    """Write the generated notes to ``out/cases`` beside copies of the taxonomy and evaluations."""
    cases = out / "cases"
    if cases.is_dir() and any(cases.glob("*.md")):
        raise SystemExit(f"{cases} already holds case files: choose an empty --out folder or "
                         "delete them first")
    cases.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SAMPLE_CORPUS / "taxonomy.yaml", out / "taxonomy.yaml")
    shutil.copytree(SAMPLE_CORPUS / "evaluations", out / "evaluations", dirs_exist_ok=True)
    for note_id, text in _generate(notes, seed, SAMPLE_CORPUS / "cases"):
        (cases / f"{note_id}.md").write_text(text, encoding="utf-8")
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, required=True, help="how many case notes to write")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to create")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.notes < 1:
        parser.error("--notes must be at least 1")
    cases = write_corpus(args.out, args.notes, args.seed)
    print(f"Wrote {args.notes} case notes to {cases}", file=sys.stderr)


if __name__ == "__main__":
    main()
