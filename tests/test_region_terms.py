"""enrich/location/region_terms.py and `scout regions`: a region's search terms generated
from its countries (issue 20), and what they find in a sandbox world."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import scout
from sqlalchemy import create_engine, text

from config.regions import load_regions_file, region_key
from config.searchtext import search_words
from enrich.location.region_terms import flag, generate, region_search_terms
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer


def _terms(name: str) -> list[str]:
    return region_search_terms(name).texts()


def test_eastern_europe_has_latin_cyrillic_and_flag_terms():
    terms = _terms("eastern-europe")
    assert {"Kharkov", "Lvov", "Kiev"} <= set(terms)  # older transliterations
    assert {"Львів", "Минск", "Харків"} <= set(terms)  # the countries' own script
    assert {"🇺🇦", "🇵🇱", "🇷🇴"} <= set(terms)  # flags
    assert "Cracow" in terms  # a hand addition (an English exonym)


def test_india_and_latin_america_get_their_scripts_and_spellings():
    india = set(_terms("india"))
    assert {"मुंबई", "🇮🇳"} <= india and ("नई दिल्ली" in india or "दिल्ली" in india)
    latam = set(_terms("latin-america"))
    assert {"Santo Domingo", "🇧🇷", "🇲🇽"} <= latam


def test_a_name_of_a_place_elsewhere_is_left_out_with_the_reason():
    left = dict(region_search_terms("latin-america").left_out)
    # an alternate name of Puebla that is a US city, say
    assert any("names a place elsewhere" in why for why in left.values())
    assert all(why for why in left.values())


def test_a_term_holding_another_terms_words_is_dropped(tmp_path):
    regions = load_regions_file()
    model = regions.regions[region_key("india", regions.display_names())]
    model = model.model_copy(update={"include": ["Pune", "Pune City", "Pune, India"]})
    made = generate("india", model).texts()
    assert "Pune" in made and "Pune City" not in made and "Pune, India" not in made


def test_leave_out_drops_a_generated_term(tmp_path):
    path = tmp_path / "regions.toml"
    path.write_text('[regions.ua]\ncountries = ["UA"]\nleave_out = ["Kharkov"]\n', encoding="utf-8")
    made = region_search_terms("ua", path)
    assert "Kharkov" not in made.texts() and ("Kharkov", "regions.toml leave_out") in made.left_out
    assert flag("UA") in made.texts() and "Kyiv" in made.texts()


def test_regions_show_lists_each_origin_and_script():
    result = scout("regions", "show", "eastern-europe", check=True)
    out = result.stdout
    assert "eastern_europe:" in out and "search terms" in out
    for heading in ("country name", "flag", "city in the country's script", "city spelling"):
        assert heading in out
    assert "Cyrillic:" in out and "Latin:" in out and "🇺🇦" in out


def test_regions_show_refuses_an_unknown_region():
    result = scout("regions", "show", "atlantis")
    assert result.returncode == 2 and "unknown region 'atlantis'" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 11])
@pytest.mark.parametrize("region", ["eastern-europe", "india", "latin-america"])
def test_a_region_crawl_finds_99_percent_of_the_truths_people(worlds, tmp_path, region, seed):
    """Recall against the sandbox's truth in every default region: every person the world
    places there whose typed location names one place (Truth.resolvable), through a real
    crawl of a small world."""
    world = worlds(seed, 800)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    with SandboxServer(world, SandboxOptions(rate_limit=1_000_000)) as sandbox:
        env = {"GITHUB_TOKEN": "ghp_" + "t" * 36}
        args = ("crawl", "github", "--region", region, "--api-url", sandbox.github_url)
        result = scout(*args, db=url, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = {e for (e,) in conn.execute(text("SELECT external_id FROM profiles"))}
    engine.dispose()
    regions = load_regions_file()
    countries = set(regions.regions[region_key(region, regions.display_names())].countries)
    truth = {
        str(a.id): a.location or ""
        for a in world.github.values()
        if (t := world.truth.get(a.person_id or 0)) is not None
        and t.country in countries
        and t.resolvable
        and a.type == "User"
    }
    found = set(truth) & ids
    assert len(truth) > 100 and len(found) / len(truth) >= 0.99, sorted(
        truth[i] for i in set(truth) - ids
    )


def test_search_words_keep_a_flag_whole():
    assert search_words("Kyiv 🇺🇦") == ("kyiv", "🇺🇦")
    assert search_words("São Paulo - SP") == ("sao", "paulo", "sp")
    assert Path(__file__).exists()


def test_generate_false_searches_the_hand_terms_alone(tmp_path):
    path = tmp_path / "regions.toml"
    path.write_text(
        '[regions.ua]\ncountries = ["UA"]\ninclude = ["Kyiv", "Lviv"]\ngenerate = false\n',
        encoding="utf-8",
    )
    assert region_search_terms("ua", path).texts() == ["Kyiv", "Lviv"]
