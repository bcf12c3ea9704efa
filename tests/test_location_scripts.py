"""Native scripts beyond Cyrillic and Devanagari (enrich.location.scripts): Chinese, Japanese
and Korean names written without spaces with their administrative suffixes, Arabic, Thai,
Hebrew and Greek names, and country names in those scripts."""

from __future__ import annotations

import pytest

from enrich.location.gazetteer import get_gazetteer
from enrich.location.resolver import resolve
from enrich.location.scripts import has_unspaced_script, segment


@pytest.fixture(scope="module", autouse=True)
def gazetteer():
    return get_gazetteer()


@pytest.mark.parametrize(
    ("text", "country", "shown"),
    [
        # kind "CJK admin suffix": a city with 市/都/府 and a district we lack, no spaces
        ("上海市浦东新区", "CN", "上海市"),
        ("東京都渋谷区", "JP", "東京都"),
        ("北京市海淀区", "CN", "北京市"),
        ("中国北京", "CN", "北京"),
        ("中国广东省深圳市南山区", "CN", "深圳市"),
        ("日本東京都", "JP", "東京都"),
        ("台湾台北市", "TW", "台北市"),
        ("大阪府大阪市", "JP", "大阪府"),
    ],
)
def test_cjk_names_without_spaces(text, country, shown):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country
    assert f"'{shown}'" in found.reason  # the reason shows the text as written


def test_the_admin_suffix_is_named_in_the_reason():
    assert "CJK admin suffix: '大阪府' read as '大阪'" in resolve("大阪府大阪市").reason


@pytest.mark.parametrize(
    ("text", "country"),
    [
        # kind "native script": names geonames lists as alternates, and country names
        ("서울특별시", "KR"),
        ("서울특별시 강남구", "KR"),
        ("부산광역시", "KR"),
        ("서울, 대한민국", "KR"),
        ("القاهرة", "EG"),
        ("عمان، الأردن", "JO"),  # the Arabic comma separates parts
        ("الهند", "IN"),
        ("กรุงเทพมหานคร", "TH"),
        ("ไทย", "TH"),
        ("תל אביב", "IL"),
        ("Αθήνα", "GR"),
        ("美国", "US"),
        ("インド", "IN"),
        ("北京，中国", "CN"),  # the full-width comma too
    ],
)
def test_native_script_names(text, country):
    found = resolve(text)
    assert found.status == "resolved" and found.country == country


@pytest.mark.parametrize(
    "text",
    [
        "你好世界",  # "hello world": no place in it
        "こんにちは",
        "人工智能研究",  # "AI research"
    ],
)
def test_text_in_these_scripts_naming_no_place(text):
    assert resolve(text).status == "none"


def test_cjk_names_of_two_countries_are_ambiguous():
    found = resolve("北京东京")  # Beijing and Tokyo run together
    assert found.status == "ambiguous"
    assert {iso for iso, _ in found.candidates} == {"CN", "JP"}


def test_segment_takes_the_longest_known_name_and_its_suffix():
    gaz = get_gazetteer()
    assert has_unspaced_script("上海") and not has_unspaced_script("Shanghai")
    cut = segment(gaz, "上海市浦东新区")
    assert cut[0][0] == "上海市"  # the known name as written, suffix included
    assert all(len(written) >= 2 for written, _key, _note in cut)
