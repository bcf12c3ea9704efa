"""The words a search index reads in a location: one rule for the crawler's own matching
(`location:` exclusions, crawlers.github.parse) and the region terms it searches for
(enrich.location.region_terms), so both agree on what a term matches.

Case-folded, accents stripped, split at anything that is not a letter or a digit; a flag emoji
(two regional indicator symbols) is one word, as Elasticsearch's standard tokenizer keeps an
emoji sequence whole (Unicode UAX #29 word boundaries never split a regional indicator pair).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORDS = re.compile(r"[\U0001F1E6-\U0001F1FF]{2}|[^\W_]+")


@lru_cache(maxsize=65536)
def search_words(text: str) -> tuple[str, ...]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return tuple(_WORDS.findall(plain))


def phrase_in(have: tuple[str, ...], want: tuple[str, ...]) -> bool:
    """Do the words `want` stand in `have`, contiguous and in order (a `location:` match)?"""
    n = len(want)
    return n > 0 and any(have[i : i + n] == want for i in range(len(have) - n + 1))
