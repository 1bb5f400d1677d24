"""Words other registers use for kmsearch's values, and "did you mean" that weighs words and
known synonyms rather than characters alone, so it never offers a value of the opposite meaning."""

from __future__ import annotations

import difflib
import re
import unicodedata

from ..records import STATUSES

# The partner-type words of the UN Partnerships for SDGs platform and of common registers.
PARTNER_TYPE_WORDS = {
    "business": ["private sector", "private company", "company", "corporation", "corporate",
                 "enterprise", "firm", "sme", "private sector entity"],
    "industry-association": ["business association", "trade association", "chamber of commerce",
                             "industry body"],
    "foundation": ["philanthropic organization", "philanthropy"],
    "academia": ["academic institution", "university", "research institute",
                 "scientific community", "academic"],
    "ngo": ["civil society", "civil society organization", "ngo",
            "non-governmental organisation", "nonprofit", "non-profit"],
    "public-sector": ["government", "national government", "local government", "local authority",
                      "public authority", "ministry", "public sector"],
    "other": ["united nations entity", "un entity", "intergovernmental organization",
              "intergovernmental organisation", "igo", "other relevant actor", "partnership",
              "other"],
}
# Status words of registers and project trackers.
STATUS_WORDS = {
    "active": ["ongoing", "on-going", "on track", "in progress", "active", "implementing",
               "under implementation", "current"],
    "completed": ["completed", "complete", "finished", "closed", "done", "achieved", "ended"],
    "proposed": ["planned", "pipeline", "in preparation", "under negotiation", "not started",
                 "proposed"],
    "discontinued": ["discontinued", "cancelled", "canceled", "terminated", "stopped",
                     "abandoned", "suspended", "inactive"],
}
PARTNER_TYPES = {word: code for code, words in PARTNER_TYPE_WORDS.items() for word in words}
STATUS = {word: code for code, words in STATUS_WORDS.items() for word in words}
BUILT_IN = {"partner_types": PARTNER_TYPES, "status": STATUS}
assert set(STATUS_WORDS) <= set(STATUSES)

# Words that say little about which value is meant: sharing only these is no reason to suggest.
GENERIC = {"sector", "organization", "organisation", "institution", "entity", "association",
           "group", "body", "type", "other", "the", "of", "and", "for"}
# Pairs of words of opposite meaning: a value with one is never offered for a value with the other.
OPPOSITES = [("private", "public"), ("governmental", "nongovernmental"),
             ("government", "nongovernmental"), ("profit", "nonprofit"),
             ("active", "inactive"), ("complete", "incomplete"), ("completed", "incomplete")]


def fold(value: object) -> str:
    """Lower case, accents and punctuation other than hyphens removed, spaces folded."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^\w\s-]", " ", text.casefold().replace("_", " ")).split())


def synonym(vocabulary: str, value: object) -> str | None:
    """The code a known synonym of ``vocabulary`` (``partner_types``, ``status``) stands for."""
    return BUILT_IN.get(vocabulary, {}).get(fold(value))


def did_you_mean(value: object, labels: dict[str, str], vocabulary: str = "") -> str | None:
    """The code of the label ``value`` most likely means, or None when no label is close enough.

    ``labels`` maps every accepted spelling (codes, names) to its code. Known synonyms win;
    otherwise a label must be close in characters AND share a distinctive word (or a near
    spelling of one) with the value, and never a word of the opposite meaning.
    """
    if known := synonym(vocabulary, value):
        return known
    wanted = fold(value)
    if wanted.endswith("s") and (known := synonym(vocabulary, wanted[:-1])):
        return known
    if not wanted:
        return None
    labels = labels | BUILT_IN.get(vocabulary, {})
    best, best_score = None, 0.0
    for label, code in labels.items():
        label = fold(label)
        if _opposed(wanted, label) or not _shares_a_word(wanted, label):
            continue
        score = difflib.SequenceMatcher(None, wanted, label).ratio()
        if score > best_score:
            best, best_score = code, score
    return best if best_score >= 0.6 else None


def _words(text: str) -> set[str]:
    """Words with "non" joined to the word it negates, plural s dropped from longer words."""
    joined = re.sub(r"\bnon[\s-]+", "non", text)
    return {w[:-1] if len(w) > 4 and w.endswith("s") else w
            for w in re.split(r"[\s-]+", joined) if w}


def _opposed(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return any((x in wa and y in wb) or (y in wa and x in wb) for x, y in OPPOSITES)


def _shares_a_word(a: str, b: str) -> bool:
    """A distinctive word in common, or one misspelt (one or two letters off)."""
    wa, wb = _words(a) - GENERIC, _words(b) - GENERIC
    if not wa or not wb:
        return False
    return any(x == y or _near(x, y) for x in wa for y in wb)


def _near(x: str, y: str) -> bool:
    if min(len(x), len(y)) < 4 or x[:2] != y[:2]:
        return False
    return difflib.SequenceMatcher(None, x, y).ratio() >= 0.8
