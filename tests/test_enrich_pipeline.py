"""`scout enrich`: incremental runs, evidence on every row, bad input, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from helpers import shared_world
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.settings import Settings
from enrich.pipeline import run_enrich
from enrich.skills.tagging import describe_evidence
from scout.cli import app
from storage.db import open_database, session_scope
from storage.items import ProfileItem, RepositoryItem, SOTagItem
from storage.models import CandidateProfile, Location, ProfileLocation, SkillTag
from storage.save import save_profiles

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _items():
    repo = RepositoryItem(
        "torch-serving",
        "Serving PyTorch models",
        "Python",
        ["pytorch", "mlops"],
        120,
        14,
        False,
        T0,
        T0,
    )
    weird = "\x00\x01\x1b[31m" + "é" * 10_000
    return [
        ProfileItem(
            "github",
            "1",
            T0,
            handle="olena",
            name="Olena K",
            location_raw="Kyiv, Ukraine",
            bio="MLOps engineer",
            repositories=[repo],
        ),
        ProfileItem("github", "2", T0, handle="anna", name="Anna", location_raw="Kyiv, Ukraine"),
        ProfileItem(
            "stackoverflow",
            "3",
            T0,
            handle="Dev",
            name="Dev",
            location_raw="Bangalore",
            so_tags=[SOTagItem("pytorch", 40, 120, 1, 1)],
        ),
        ProfileItem(
            "github", "4", T0, handle="x", name=weird, location_raw=weird, bio=weird, website=weird
        ),
        ProfileItem("github", "5", T0, handle="y", location_raw="", bio="\x7f\x00"),
        ProfileItem("kaggle", "6", T0, handle="bin", name="\ufffd\x00", location_raw=" \t "),
    ]


def test_second_run_changes_nothing_and_says_so(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    with session_scope(engine) as s:
        save_profiles(s, _items())
    first = run_enrich(engine, Settings(), now=T0)
    assert first.enriched == 6 and first.skipped == 0
    assert first.locations == 3  # "Kyiv, Ukraine" resolved once for two profiles
    assert "enriched 6 profiles" in first.summary()
    second = run_enrich(engine, Settings(), now=T0)
    assert second.enriched == 0 and second.skipped == 6
    assert "nothing to enrich" in second.summary()
    with session_scope(engine) as s:
        # Every region, tag and link carries readable evidence.
        for loc in s.scalars(select(ProfileLocation)):
            assert loc.evidence["reason"]
        kyiv = s.scalars(select(ProfileLocation).where(ProfileLocation.country == "UA")).all()
        assert len(kyiv) == 2
        tags = s.scalars(select(SkillTag)).all()
        assert tags and all(describe_evidence(t.evidence) != "no evidence recorded" for t in tags)
        assert all(r.evidence.get("text") for r in s.scalars(select(CandidateProfile)))
        assert s.scalar(select(func.count()).select_from(CandidateProfile)) == 6
        assert s.scalar(select(func.count()).select_from(Location)) == 2
    # One profile changes: only it is enriched again; its location comes from the cache.
    with session_scope(engine) as s:
        save_profiles(
            s,
            [
                ProfileItem(
                    "github", "2", T0, handle="anna", name="Anna B", location_raw="Kyiv, Ukraine"
                )
            ],
        )
    third = run_enrich(engine, Settings(), now=T0)
    assert (third.enriched, third.skipped, third.locations_cached) == (1, 5, 1)


def test_cli_enrich_twice(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.db'}"
    engine = open_database(url)
    with session_scope(engine) as s:
        save_profiles(s, _items())
    runner = CliRunner()
    first = runner.invoke(app, ["--db", url, "enrich"])
    assert first.exit_code == 0, first.output
    assert "enriched 6 profiles" in first.output
    second = runner.invoke(app, ["--db", url, "enrich"])
    assert second.exit_code == 0 and "nothing to enrich" in second.output
    result = runner.invoke(app, ["--db", url, "unlink", "github:olena", "github:nobody"])
    assert result.exit_code == 2 and "no profile" in result.output
    result = runner.invoke(app, ["--db", url, "unlink", "github:olena", "stackoverflow:3"])
    assert result.exit_code == 0, result.output
    assert "never will be" in result.output
    # A link by hand undoes that rejection; two GitHub profiles are refused with a reason.
    result = runner.invoke(app, ["--db", url, "link", "github:olena", "stackoverflow:3"])
    assert result.exit_code == 0, result.output
    assert "Linked github:olena and stackoverflow:3" in result.output
    assert "linked by hand" in result.output
    result = runner.invoke(app, ["--db", url, "link", "github:olena", "github:anna"])
    assert result.exit_code == 2 and "both profiles are on GitHub" in result.output
    result = runner.invoke(app, ["--db", url, "link", "github:olena", "kaggle:nobody"])
    assert result.exit_code == 2 and "no profile" in result.output
    third = runner.invoke(app, ["--db", url, "enrich"])
    assert "nothing to enrich" in third.output


def test_tagging_in_helper_processes_writes_the_tags_of_one_process(tmp_path, monkeypatch):

    from crawlers.stackexchange.parse import about_me_links
    from enrich import pipeline
    from sandbox.profile_items import world_items

    items = world_items(shared_world(5, 600), about_me_links)

    def tags(name, parallel):
        engine = open_database(f"sqlite:///{tmp_path / name}")
        with session_scope(engine) as s:
            save_profiles(s, items)
        if parallel:
            monkeypatch.setattr(pipeline, "PARALLEL_MIN", 1)
            monkeypatch.setattr(pipeline, "CHUNK", 97)  # many chunks in flight
            monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 3)
        report = run_enrich(engine, Settings(), now=T0)
        with session_scope(engine) as s:
            rows = s.execute(
                select(SkillTag.profile_id, SkillTag.skill, SkillTag.strength, SkillTag.evidence)
            ).all()
        engine.dispose()
        return report.enriched, sorted((p, k, v, str(e)) for p, k, v, e in rows)

    one = tags("one.db", parallel=False)
    assert one[1] and tags("many.db", parallel=True) == one


def test_contributions_read_after_enrichment_tag_their_profile_on_the_next_run(tmp_path):
    from storage.items import HubItemRow
    from storage.models import Contribution, Profile

    engine = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    hub = ProfileItem(
        "huggingface",
        "olena",
        T0,
        handle="olena",
        hub_items=[HubItemRow("olena/bert-uk", "model", 900, 3, "transformers", "fill-mask")],
    )
    with session_scope(engine) as s:
        save_profiles(s, [*_items(), hub])
    run_enrich(engine, Settings(), now=T0)
    with session_scope(engine) as s:
        hub_tags = set(
            s.scalars(select(SkillTag.skill).join(Profile).where(Profile.source == "huggingface"))
        )
        assert "huggingface" in hub_tags  # library transformers
        anna = s.scalar(select(Profile.id).where(Profile.handle == "anna"))
        # The contributors crawl writes rows outside the profile's content hash.
        s.add(Contribution(profile_id=anna, repo="mlflow/mlflow", merged_prs=9, seen_at=T0))
    again = run_enrich(engine, Settings(), now=T0)
    assert again.enriched == 1  # anna alone, though no profile's content changed
    with session_scope(engine) as s:
        tag = s.scalars(select(SkillTag).where(SkillTag.profile_id == anna)).one()
        assert tag.skill == "mlflow"
        assert describe_evidence(tag.evidence) == "9 merged pull requests in mlflow/mlflow"
    assert run_enrich(engine, Settings(), now=T0).enriched == 0
    engine.dispose()
