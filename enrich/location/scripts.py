"""Native scripts written without spaces (the kinds "native script" and "CJK admin suffix").

Chinese and Japanese addresses run names together ("上海市浦东新区", "東京都渋谷区", "中国北京"),
and Korean ones glue the administrative suffix to the name ("서울특별시", "부산광역시"). geonames
lists the city names in these scripts as alternate names; here the longest known name is cut
out of the text at each position, together with the administrative suffix that follows it
(市 city, 都 metropolis, 府/県/省/道 prefecture or province, 区 district, 특별시/광역시...), so the
reason can show the text as written. Unknown characters (a district we lack) are skipped.
"""

from __future__ import annotations

import re

from enrich.location.gazetteer import Gazetteer

_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# Administrative suffixes, longest first (Chinese, Japanese, Korean).
ADMIN_SUFFIXES = (
    "特别行政区",
    "特別行政區",
    "특별자치시",
    "특별자치도",
    "自治区",
    "特別市",
    "特别市",
    "특별시",
    "광역시",
    "市",
    "都",
    "府",
    "県",
    "县",
    "縣",
    "区",
    "區",
    "省",
    "道",
    "州",
    "시",
    "도",
    "구",
)
MIN_NAME = 2  # one character names too many things
MAX_NAME = 10


def has_unspaced_script(text: str) -> bool:
    return _UNSPACED.search(text) is not None


def _known(gaz: Gazetteer, key: str) -> bool:
    return key in gaz.entries or key in gaz.cities


def segment(gaz: Gazetteer, text: str) -> list[tuple[str, str, str]]:
    """(text as written, key, note) for each known name in `text`, left to right, longest
    first; the note names an administrative suffix read off the name."""
    found: list[tuple[str, str, str]] = []
    chars = text.lower()
    i = 0
    while i < len(chars):
        end = next(
            (
                j
                for j in range(min(len(chars), i + MAX_NAME), i + MIN_NAME - 1, -1)
                if _known(gaz, chars[i:j])
            ),
            None,
        )
        if end is None:
            i += 1
            continue
        key = chars[i:end]
        suffix = next((s for s in ADMIN_SUFFIXES if chars.startswith(s, end)), "")
        written = text[i : end + len(suffix)]
        note = f"CJK admin suffix: '{written}' read as '{text[i:end]}'" if suffix else ""
        found.append((written, key, note))
        i = end + len(suffix)
    return found
