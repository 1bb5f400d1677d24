"""Retrieval quality on a BEIR-format collection: nDCG@10, Recall@100 and MRR@10 per search mode.

The collection is indexed with the real keyword and vector indexes and every query goes through
``SearchEngine.search``, so the figures measure the search that users get.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..access import ANONYMOUS
from ..config import Settings
from ..documents import IndexDoc, case_key
from ..errors import Problem, ValidationError
from ..index.catalog import Catalog
from ..index.keyword import KeywordIndex
from ..index.vectors import VectorIndex
from .engine import EngineSettings, SearchEngine
from .request import MODES, SearchRequest

log = logging.getLogger(__name__)
METRICS = ("ndcg@10", "recall@100", "mrr@10")
QRELS_HEADER = ("query-id", "corpus-id", "score")
MAX_PROBLEMS = 20  # a broken file reports its first problems, not thousands of lines


@dataclass
class BeirDoc:
    id: str
    title: str
    text: str


@dataclass
class BeirCollection:
    """Documents, the queries that have relevant documents, and graded judgements per query."""

    docs: list[BeirDoc] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)


def load_beir(path: Path) -> BeirCollection:
    """Read ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv``; keep judged queries only.

    A query is kept when at least one document is judged relevant to it (score above 0).
    """
    path = Path(path)
    problems: list[Problem] = []
    docs: list[BeirDoc] = []
    seen: set[str] = set()
    for source, line, record in _jsonl(path / "corpus.jsonl", problems):
        doc_id = _id(record, source, line, problems)
        text = _string(record, "text", source, line, problems, required=True)
        title = _string(record, "title", source, line, problems, required=False)
        if doc_id is None or text is None or title is None:
            continue
        if doc_id in seen:
            problems.append(Problem(source, "_id", f"expected a unique id, found {doc_id!r} again",
                                    line))
            continue
        seen.add(doc_id)
        docs.append(BeirDoc(doc_id, title, text))
    queries: dict[str, str] = {}
    for source, line, record in _jsonl(path / "queries.jsonl", problems):
        query_id = _id(record, source, line, problems)
        text = _string(record, "text", source, line, problems, required=True)
        if query_id is not None and text is not None:
            queries[query_id] = text
    qrels = _qrels(path / "qrels" / "test.tsv", queries, seen, problems)
    if problems:
        raise ValidationError(problems[:MAX_PROBLEMS])
    judged = {q: judgements for q, judgements in qrels.items() if any(judgements.values())}
    return BeirCollection(
        docs=docs,
        queries={q: text for q, text in queries.items() if q in judged},
        qrels=judged,
    )


def _jsonl(path: Path, problems: list[Problem]) -> Iterator[tuple[str, int, dict]]:
    """Each JSON object of a JSON Lines file with its line number; blank lines are skipped."""
    source = str(path)
    for number, line in _lines(path, problems):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(source, "", f"invalid JSON: {exc.msg} at column {exc.colno}; "
                                    "expected one JSON object per line", number))
            continue
        if not isinstance(record, dict):
            found = line.strip()[:40]
            problems.append(Problem(source, "", f"expected a JSON object, found {found}", number))
            continue
        yield source, number, record


def _lines(path: Path, problems: list[Problem]) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        problems.append(Problem(str(path), "", "not found: a BEIR folder holds corpus.jsonl, "
                                "queries.jsonl and qrels/test.tsv"))
        return
    with path.open(encoding="utf-8-sig") as lines:
        try:
            yield from enumerate(lines, start=1)
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), "", f"not UTF-8: {exc.reason}; save it as UTF-8"))


def _id(record: dict, source: str, line: int, problems: list[Problem]) -> str | None:
    value = record.get("_id")
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        problems.append(Problem(source, "_id", f"expected a string id, found {value!r}", line))
        return None
    return str(value).strip()


def _string(
    record: dict, name: str, source: str, line: int, problems: list[Problem], *, required: bool
) -> str | None:
    value = record.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(source, name, f"expected a string, found {value!r}", line))
        return None
    return value


def _qrels(
    path: Path, queries: dict[str, str], doc_ids: set[str], problems: list[Problem]
) -> dict[str, dict[str, int]]:
    """Judgements per query from a tab-separated file with a ``query-id corpus-id score`` header."""
    source = str(path)
    qrels: dict[str, dict[str, int]] = {}
    for number, line in _lines(path, problems):
        fields = line.rstrip("\r\n").split("\t")
        if number == 1 and tuple(f.strip() for f in fields) == QRELS_HEADER:
            continue
        if not line.strip():
            continue
        if len(fields) != 3:
            problems.append(Problem(source, "", f"expected 3 tab-separated fields (query-id, "
                                    f"corpus-id, score), found {len(fields)}", number))
            continue
        query_id, doc_id, score = (f.strip() for f in fields)
        try:
            grade = int(score)
        except ValueError:
            problems.append(Problem(source, "score", f"expected a whole number, found {score!r}",
                                    number))
            continue
        if query_id not in queries:
            problems.append(Problem(source, "query-id", f"expected an id from queries.jsonl, "
                                    f"found {query_id!r}", number))
        elif doc_id not in doc_ids:
            problems.append(Problem(source, "corpus-id", f"expected an id from corpus.jsonl, "
                                    f"found {doc_id!r}", number))
        else:
            qrels.setdefault(query_id, {})[doc_id] = grade
    return qrels


def ndcg_at_k(ranked_ids: list[str], qrels_for_query: dict[str, int], k: int = 10) -> float:
    """DCG of the top k (gain = graded relevance, discount log2(rank + 1)) over the ideal DCG."""
    gains = [max(qrels_for_query.get(doc_id, 0), 0) for doc_id in ranked_ids[:k]]
    ideal = sorted((g for g in qrels_for_query.values() if g > 0), reverse=True)[:k]
    best = _dcg(ideal)
    return _dcg(gains) / best if best else 0.0


def _dcg(gains: Iterable[int]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def recall_at_k(ranked_ids: list[str], qrels_for_query: dict[str, int], k: int = 100) -> float:
    """The share of relevant documents (score above 0) found in the top k."""
    relevant = {doc_id for doc_id, grade in qrels_for_query.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked_ids[:k])) / len(relevant)


def mrr_at_k(ranked_ids: list[str], qrels_for_query: dict[str, int], k: int = 10) -> float:
    """The reciprocal rank of the first relevant document in the top k, 0 when there is none."""
    for rank, doc_id in enumerate(ranked_ids[:k], start=1):
        if qrels_for_query.get(doc_id, 0) > 0:
            return 1.0 / rank
    return 0.0


Progress = Callable[[str, int, int], None]


def evaluate(
    collection: BeirCollection,
    modes: Iterable[str],
    *,
    workdir: Path,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> dict[str, dict[str, float]]:
    """Index the collection in ``workdir`` and average each metric over its queries, per mode.

    ``progress(stage, done, total)`` reports indexing ("keyword" documents, "vectors" passages)
    and then each mode's queries. An embedding cache in ``workdir`` is reused on later runs.
    Hybrid fuses the arms as the library does with ``settings`` (default: the environment's).
    """
    modes = list(modes)
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise ValidationError([Problem("evaluation", "mode", f"expected some of "
                                       f"{', '.join(MODES)}, found {', '.join(unknown)}")])
    docs = [index_doc(doc) for doc in collection.docs]
    keyword = KeywordIndex(Path(workdir) / "keyword")
    vectors = VectorIndex(Path(workdir) / "vectors")
    if progress is None:
        keyword.rebuild(docs)
        vectors.rebuild(docs)
    else:
        keyword.rebuild(docs, progress=lambda done: progress("keyword", done, len(docs)))
        vectors.rebuild(docs, progress=lambda done, total: progress("vectors", done, total))
    engine = SearchEngine.over(keyword, vectors, Catalog(docs),
                               settings=EngineSettings.of(settings or Settings.from_env()))
    per_page = engine.settings.limits.max_per_page
    scores: dict[str, dict[str, float]] = {}
    for mode in modes:
        totals = dict.fromkeys(METRICS, 0.0)
        for done, (query_id, text) in enumerate(collection.queries.items(), start=1):
            request = SearchRequest(" ".join(text.split()), mode, per_page=per_page, group=False)
            try:
                ranked = [hit.id for hit in engine.search(request, ANONYMOUS).hits]
            except ValidationError as error:  # a query that cannot be searched scores zero
                log.warning("query %s not searched: %s", query_id, error)
                ranked = []
            judged = collection.qrels[query_id]
            totals["ndcg@10"] += ndcg_at_k(ranked, judged, k=10)
            totals["recall@100"] += recall_at_k(ranked, judged, k=100)
            totals["mrr@10"] += mrr_at_k(ranked, judged, k=10)
            if progress is not None:
                progress(mode, done, len(collection.queries))
        count = max(len(collection.queries), 1)
        scores[mode] = {metric: total / count for metric, total in totals.items()}
    keyword.close()
    return scores


def index_doc(doc: BeirDoc) -> IndexDoc:
    """A BEIR document as a public, published case document with no metadata."""
    return IndexDoc(
        key=case_key(doc.id),
        type="case",
        id=doc.id,
        case_id=doc.id,
        title=doc.title,
        summary="",
        body=doc.text,
        lessons="",
        partners="",
        division="",
        visibility="public",
        state="published",
        content_hash=hashlib.sha256(f"{doc.title}\n{doc.text}".encode()).hexdigest(),
    )
