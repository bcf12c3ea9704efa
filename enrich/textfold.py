"""Folding text to the key form place names are stored and compared in: the gazetteer's keys
and the city identity linking compares (shared by enrich.location and enrich.identity)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_WORD = re.compile(r"[\W_]+")
# Latin letters that NFKD does not split into a base letter and an accent.
_LATIN_SPECIAL = str.maketrans(
    {
        "ł": "l",
        "Ł": "l",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "þ": "th",
        "Þ": "th",
        "ð": "d",
        "Ð": "d",
        "ħ": "h",
        "Ħ": "h",
        "ŧ": "t",
    }
)
# Anything outside Basic Latin, Latin-1, Latin Extended A/B, Latin Extended Additional and
# general punctuation: another script, kept as written (its own names are in the data).
_NON_LATIN = re.compile(r"[^\x00-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f]")


@lru_cache(maxsize=100_000)
def _fold_word(word: str) -> str:
    if word.isascii():
        return _NON_ALNUM.sub(" ", word.lower()).strip()
    word = unicodedata.normalize("NFC", word)
    if _NON_LATIN.search(word):
        # Cyrillic, Devanagari, CJK...: geonames lists these names as written, so match them
        # as written (lower case) rather than through a lossy transliteration.
        return _NON_WORD.sub(" ", word.lower()).strip()
    word = _NON_WORD.sub(" ", word).translate(_LATIN_SPECIAL)
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", ascii_word.lower()).strip()


def fold(text: str) -> str:
    """The key form: Latin accents dropped ("Kraków" -> "krakow"), lower case, one space
    between words; other scripts kept as written ("Київ" -> "київ")."""
    if text.isascii():
        return _NON_ALNUM.sub(" ", text.lower()).strip()
    return " ".join(filter(None, (_fold_word(w) for w in text.split())))


def translit(text: str) -> str:
    """A second chance for other scripts: anyascii transliteration ("Москва" -> "moskva")."""
    return _NON_ALNUM.sub(" ", anyascii(text).lower()).strip()
