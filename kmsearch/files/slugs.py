"""Ids from titles: ASCII letters, digits and hyphens, transliterated rather than dropped, and
cut between words, never inside one."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter and an accent.
LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
                         "þ": "th", "ð": "d", "ı": "i", "ħ": "h"})
CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяєіїґў",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n",
                     "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y",
                     "", "e", "yu", "ya", "ye", "i", "yi", "g", "u"], strict=True))
GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                 ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p",
                  "r", "s", "s", "t", "y", "f", "ch", "ps", "o"], strict=True))
SCRIPTS = str.maketrans(CYRILLIC | GREEK)


def to_ascii(text: str) -> str:
    """Latin letters without accents; Cyrillic and Greek transliterated; other scripts dropped."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(LETTERS).translate(SCRIPTS))
    return folded.encode("ascii", "ignore").decode()


def slug(text: str, limit: int = 60) -> str:
    """``text`` as an id: at most ``limit`` characters, cut at a hyphen; "" when nothing is left."""
    words = re.sub(r"[^a-z0-9]+", "-", to_ascii(text)).strip("-")
    if len(words) > limit:
        words = words[: limit + 1].rsplit("-", 1)[0] if "-" in words[:limit] else words[:limit]
    return words
