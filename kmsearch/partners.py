"""Partner names: the one key under which spellings of the same organisation meet, and its slug.

"ACME GmbH", "Acme" and "ACMÉ, Inc." are one partner: names are folded for case, accents
(Unicode NFKD), Cyrillic script (a simple transliteration), punctuation and a trailing legal
form ("Ltd", "GmbH", "S.A.", "S.p.A.", ...). Reviewers correct what folding gets wrong by
merging or splitting partners (``kmsearch/store/partners.py``).
"""

from __future__ import annotations

import re
import unicodedata

# Russian, Ukrainian, Belarusian, Serbian, Macedonian and Bulgarian letters, in their usual
# passport-style romanisation; enough for names to meet, not a scholarly transliteration.
CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґўђјљњћџѓќѕ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
     "i", "e", "i", "g", "u", "dj", "j", "lj", "nj", "c", "dz", "g", "k", "dz"],
    strict=True,
))
# Letters NFKD does not split into a base letter and an accent.
LATIN_EXTRA = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th",
               "ı": "i", "&": " and "}

# Legal forms, as their folded words (dots and commas gone), dropped from the end of a name.
LEGAL_FORMS = (
    "ltd", "limited", "plc", "llc", "llp", "lp", "inc", "incorporated", "corp", "corporation",
    "co", "company", "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "se", "sa", "s a", "sas",
    "sarl", "sca", "snc", "spa", "srl", "sapa", "sl", "slu", "bv", "b v", "nv", "n v", "ab",
    "oy", "oyj", "as", "a s", "asa", "aps", "doo", "dd", "ad", "ood", "eood", "sro", "zrt", "nyrt",
    "kft", "sp z oo", "spzoo", "sa de cv", "pte", "pty", "ltda", "kk", "jsc", "ojsc", "cjsc",
    "pjsc", "ooo", "oao", "zao", "pao", "ao", "tov", "pat", "ip",
)
# Legal forms written before the name, as in "OOO Romashka" or "JSC Norda".
PREFIX_FORMS = ("ooo", "oao", "zao", "pao", "ao", "tov", "pat", "jsc", "ojsc", "cjsc", "pjsc",
                "ip", "the")
_LEGAL = sorted({tuple(form.split()) for form in LEGAL_FORMS}, key=len, reverse=True)


def fold(text: str) -> str:
    """Lower case, Cyrillic romanised, accents removed, ``&`` spelt out; other marks kept."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = "".join(CYRILLIC.get(ch, LATIN_EXTRA.get(ch, ch)) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name_words(name: str) -> list[str]:
    """The folded words of a name, abbreviations joined ("S.p.A." -> "spa"), marks gone."""
    folded = re.sub(r"(?<=\b\w)[.](?=\w\b)", "", fold(name))
    return re.findall(r"[a-z0-9]+", folded)


def partner_key(name: str) -> str:
    """The key of a partner: its folded words less legal forms at the end (several, as in
    "GmbH & Co. KG") and at the start ("OOO", "JSC", "The")."""
    words = name_words(name)
    while len(words) > 1 and words[0] in PREFIX_FORMS:
        words = words[1:]
    trimmed = True
    while trimmed and len(words) > 1:
        trimmed = False
        for form in _LEGAL:
            if len(words) > len(form) and tuple(words[-len(form):]) == form:
                words = words[: -len(form)]
                while len(words) > 1 and words[-1] == "and":
                    words = words[:-1]
                trimmed = True
                break
    return " ".join(words)


def partner_slug(name: str) -> str:
    """The address of a partner's page: its key with dashes, at most 80 characters."""
    slug = partner_key(name).replace(" ", "-")[:80].strip("-")
    return slug or "partner"
