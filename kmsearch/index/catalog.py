"""The in-memory table of indexed documents: filter and visibility masks, and facet counts.

Both search arms take their allowed set from here, so a hidden document is excluded before
ranking in each of them and is never counted in a facet.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse

from ..access import Viewer
from ..documents import IndexDoc
from ..filters import FACETS, YEAR_RANGE, Filters

FACET_NAMES = (*FACETS, "year", "good_practice")
GATHER_SHARE = 4  # facet counts over fewer than a quarter of the rows read those rows' entries
CACHED_AUDIENCES = 64  # visibility masks kept: one per audience (contributors by division)


class Catalog:
    """Documents by row, with one sparse row x (facet, value) incidence matrix for fast counts."""

    def __init__(self, docs: Iterable[IndexDoc] = (), previous: Catalog | None = None):
        """Index ``docs``; documents unchanged since ``previous`` (the same objects) reuse the
        columns worked out for them then, so re-cataloguing after one edit is cheap."""
        self.docs: list[IndexDoc] = list(docs)
        self.rows: dict[str, int] = {doc.key: row for row, doc in enumerate(self.docs)}
        self.columns: dict[tuple[str, object], int] = dict(previous.columns) if previous else {}
        known = previous._doc_columns if previous else {}
        self._doc_columns: dict[int, tuple[IndexDoc, np.ndarray]] = {}
        per_doc = []
        for doc in self.docs:
            cached = known.get(id(doc))
            if cached is None or cached[0] is not doc:
                ids = [self.columns.setdefault(c, len(self.columns)) for c in self._columns_of(doc)]
                cached = (doc, np.array(ids, dtype=np.int32))
            self._doc_columns[id(doc)] = cached
            per_doc.append(cached[1])
        lengths = np.fromiter((len(ids) for ids in per_doc), dtype=np.int64, count=len(per_doc))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        indices = np.concatenate(per_doc) if per_doc else np.zeros(0, np.int32)
        shape = (len(self.docs), max(len(self.columns), 1))
        data = np.ones(len(indices), dtype=np.int32)
        self.matrix = sparse.csr_matrix((data, indices, indptr), shape=shape)
        self._by_column = self.matrix.tocsc()
        self._by_value = self.matrix.T.tocsr()  # (facet, value) x row, for counts over many rows
        self.start_years = np.array([d.start_year or 0 for d in self.docs], dtype=np.int32)
        cases = {doc.case_id: number for number, doc in enumerate(self.docs) if doc.type == "case"}
        extra = len(self.docs)
        # each row's note: the row of its case document (or a number of its own when the case
        # document is not catalogued), so lessons can be grouped under their note
        self.note_of = np.fromiter(
            (cases.get(doc.case_id, extra + row) for row, doc in enumerate(self.docs)),
            dtype=np.int64, count=len(self.docs))
        self._visible: dict[tuple, np.ndarray] = {}
        self._names: list[tuple[str, object]] = [("", None)] * len(self.columns)  # by number
        for column, number in self.columns.items():
            self._names[number] = column
        self.is_lesson = np.fromiter((doc.type == "lesson" for doc in self.docs), dtype=bool,
                                     count=len(self.docs))

    def __len__(self) -> int:
        return len(self.docs)

    @staticmethod
    def _columns_of(doc: IndexDoc) -> Iterable[tuple[str, object]]:
        for name, (attribute, _) in FACETS.items():
            value = getattr(doc, attribute)
            for item in value if isinstance(value, list) else [value]:
                if item != "":
                    yield name, item
        for year in doc.years:
            yield "year", year
        if doc.good_practice:
            yield "good_practice", True
        yield "visibility", doc.visibility
        if doc.visibility == "restricted":
            yield "restricted_division", doc.division
        yield "state", doc.state

    def _any(self, columns: Iterable[tuple[str, object]]) -> np.ndarray:
        """Rows that have at least one of the columns."""
        mask = np.zeros(len(self.docs), dtype=bool)
        indptr, indices = self._by_column.indptr, self._by_column.indices
        for column in columns:
            number = self.columns.get(column)
            if number is not None:
                mask[indices[indptr[number]:indptr[number + 1]]] = True
        return mask

    def visible(self, viewer: Viewer, states: tuple[str, ...] = ("published",)) -> np.ndarray:
        """Rows the viewer may see: the vectorised form of ``access.can_see``.

        Worked out once per audience (the catalog never changes), and returned as a copy that
        the caller may narrow in place."""
        key = (_audience(viewer), states)
        mask = self._visible.get(key)
        if mask is None:
            visibilities, divisions = key[0]
            mask = self._any(("visibility", v) for v in visibilities)
            mask |= self._any(("restricted_division", d) for d in divisions)
            mask &= self._any(("state", s) for s in states)
            if len(self._visible) >= CACHED_AUDIENCES:
                self._visible.clear()
            self._visible[key] = mask
        return mask.copy()

    def mask(self, filters: Filters, viewer: Viewer) -> np.ndarray:
        """Rows that pass every filter and that the viewer may see."""
        mask = self.visible(viewer)
        for part in self.filter_masks(filters).values():
            mask &= part
        return mask

    def filter_masks(self, filters: Filters) -> dict[str, np.ndarray]:
        """One mask per facet in force (``year`` for the year range), to combine or leave out:
        a facet's own counts are taken without its own filter (disjunctive facets)."""
        masks: dict[str, np.ndarray] = {}
        for name in FACETS:
            wanted = getattr(filters, name)
            if wanted:
                masks[name] = self._any((name, value) for value in wanted)
        if filters.good_practice:
            masks["good_practice"] = self._any([("good_practice", True)])
        if filters.year_from is not None or filters.year_to is not None:
            low = filters.year_from if filters.year_from is not None else YEAR_RANGE[0]
            high = filters.year_to if filters.year_to is not None else YEAR_RANGE[1]
            masks["year"] = self._any(("year", y) for y in range(low, high + 1))
        return masks

    def rows_of(self, keys: Iterable[str]) -> np.ndarray:
        rows = self.rows
        return np.fromiter((rows[k] for k in keys if k in rows), dtype=np.int64)

    def facet_counts(self, rows: np.ndarray) -> dict[str, dict[object, int]]:
        """For each facet, how many of the given (distinct) rows carry each value; zero counts
        are left out."""
        counts: dict[str, dict[object, int]] = {name: {} for name in FACET_NAMES}
        if not len(rows):
            return counts
        if len(rows) * GATHER_SHARE < len(self.docs):  # few rows: count their own entries
            indptr = self.matrix.indptr
            starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
            # the positions of the rows' entries in ``indices``, without a loop over the rows
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            entries = self.matrix.indices[np.arange(int(lengths.sum())) + offsets]
            totals = np.bincount(entries, minlength=len(self.columns))
        else:
            weights = np.zeros(len(self.docs), dtype=np.int32)
            weights[rows] = 1
            totals = self._by_value @ weights
        for column in np.flatnonzero(totals):
            name, value = self._names[column]
            if name in counts:
                counts[name][value] = int(totals[column])
        return counts


def _audience(viewer: Viewer) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a viewer may see: the visibilities seen in full, and the divisions whose restricted
    notes are seen too (as ``access.can_see`` decides for one note)."""
    if not viewer.signed_in:
        return ("public",), ()
    if viewer.sees_all_restricted:
        return ("public", "internal", "restricted"), ()
    if "contributor" in viewer.roles:
        return ("public", "internal"), tuple(sorted(viewer.divisions))
    return ("public", "internal"), ()
