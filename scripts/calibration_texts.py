"""Write ``kmsearch/index/calibration.txt``: the texts the int8 export is calibrated on.

    python scripts/calibration_texts.py

Passages of the shipped case notes, cut exactly as indexing cuts them, then every note's title
and lessons as short, query-like texts: the activations int8 quantisation has to cover are those
of both the notes and the queries. Nothing from an evaluation collection is used.
"""

from __future__ import annotations

from pathlib import Path

import frontmatter

from kmsearch.index.embedder import Embedder, passages_for
from kmsearch.search.evaluation import BeirDoc, index_doc

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    embedder = Embedder(backend="torch")
    passages: list[str] = []
    short: list[str] = []
    for path in sorted((ROOT / "corpus" / "cases").glob("*.md")):
        note = frontmatter.load(path)
        text = f"{note.get('summary', '')}\n\n{note.content}"
        passages.extend(passages_for(index_doc(BeirDoc(path.stem, note["title"], text)), embedder))
        short.append(note["title"])
        short.extend(lesson["text"] for lesson in note.get("lessons") or [])
    lines = [" ".join(text.split()) for text in passages + short]
    target = ROOT / "kmsearch" / "index" / "calibration.txt"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(passages)} passages and {len(short)} short texts in {target}")


if __name__ == "__main__":
    main()
