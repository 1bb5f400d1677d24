"""One term's posting list in one segment read as arrays, a block of postings at a time.

Whoosh's matcher interface hands out one posting per Python call (about 0.7 µs each, 3 µs with
its positions). Whoosh 3 stores a posting list as blocks of up to 128 postings, each one pickled
tuple of document numbers, weights and values; here each block is read whole. Lists that are not
in blocks (the short ones Whoosh keeps inline in its term dictionary) are read a posting at a
time, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pickle import loads

import numpy as np
from whoosh import formats
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher
from whoosh.reading import IndexReader

# the parts of Whoosh 3's block reader used here (not public API: checked before each use)
_BLOCK_API = ("_maxid", "_read_ids", "_read_weights", "_read_values", "_ids", "_weights",
              "_values", "_next_block")
NO_IDS = np.zeros(0, dtype=np.int32)
NO_WEIGHTS = np.zeros(0, dtype=np.float32)


def postings(reader: IndexReader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Document numbers (ascending) and weights of a term in a segment; documents deleted from
    it may be among them (searches mask them out)."""
    ids, weights = [], []
    for block_ids, block_weights, _ in _blocks(reader, fieldname, btext):
        ids.append(np.asarray(block_ids, dtype=np.int32))
        weights.append(np.asarray(block_weights, dtype=np.float32))
    if not ids:
        return NO_IDS, NO_WEIGHTS
    return np.concatenate(ids), np.concatenate(weights)


def positions(reader: IndexReader, fieldname: str, btext: bytes, within: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Every occurrence of a term in the segment's documents ``within`` (ascending): the
    document number and the word's position in the field, one pair per occurrence."""
    form = reader.schema[fieldname].format
    plain = type(form) is formats.Positions  # a 4-byte count, then the pickled gaps
    decode = form.decoder("positions")
    docnums: list[int] = []
    counts: list[int] = []
    gaps: list[int] = []
    for ids, _, values in _blocks(reader, fieldname, btext, within):
        ids = np.asarray(ids, dtype=np.int64)
        places = np.searchsorted(within, ids)
        wanted = np.flatnonzero(within[np.minimum(places, len(within) - 1)] == ids)
        for i in wanted.tolist():
            found = loads(values[i][4:] + b".") if plain else _gaps(decode(values[i]))
            docnums.append(int(ids[i]))
            counts.append(len(found))
            gaps.extend(found)
    repeats = np.array(counts, dtype=np.int64)
    # positions are stored as gaps from the previous one in the same document
    sums = np.concatenate([[0], np.cumsum(np.array(gaps, dtype=np.int64))])
    before = np.repeat(sums[np.cumsum(repeats) - repeats], repeats)
    return (np.repeat(np.array(docnums, dtype=np.int32), repeats),
            (sums[1:] - before).astype(np.int32))


def _blocks(reader: IndexReader, fieldname: str, btext: bytes, within: np.ndarray | None = None
            ) -> Iterator[tuple[object, object, tuple]]:
    """(ids, weights, values) of each block of a posting list; with ``within`` (ascending
    document numbers), only the blocks that may hold one of them."""
    if (fieldname, btext) not in reader:
        return
    matcher = reader.postings(fieldname, btext)
    leaf = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if not isinstance(leaf, W3LeafMatcher) or not all(hasattr(leaf, a) for a in _BLOCK_API):
        yield from _one_by_one(matcher)  # a short list, or a Whoosh without this block API
        return
    lowest = 0  # no document of this block is below it: the previous block's last + 1
    while leaf.is_active():
        highest = leaf._maxid
        if within is None or np.searchsorted(within, lowest) < np.searchsorted(
                within, highest, side="right"):
            leaf._read_ids()
            leaf._read_weights()
            leaf._read_values()
            yield leaf._ids, leaf._weights, leaf._values
        lowest = highest + 1
        leaf._next_block()


def _one_by_one(matcher) -> Iterator[tuple[list, list, tuple]]:
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    if ids:
        yield ids, weights, tuple(values)


def _gaps(positions: list[int]) -> list[int]:
    return [b - a for a, b in zip([0, *positions], positions, strict=False)]
