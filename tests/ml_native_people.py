"""Handmade people for the ML-native sources' tests (features, explanations, the audit): equal
GitHub profiles, then one with a popular Hub model, one who maintains an ML package on PyPI and
one with merged pull requests in a major project. Rows are written as the crawlers will write
them: Hub and PyPI accounts as profiles of their own source (storage.save.save_profiles) linked
to the candidate, contributions as rows of the GitHub profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.items import HubItemRow, ProfileItem, PypiPackageRow, RepositoryItem
from storage.models import Candidate, CandidateProfile, Contribution, ProfileLocation
from storage.save import save_profiles

NOW = datetime(2026, 6, 1, tzinfo=UTC)
BASE, HUB, PYPI, CONTRIB = 1, 2, 3, 4  # candidate ids
MODEL = "alice/llama-ft"
PACKAGE = "torchbench-lite"
PROJECT = "mlflow/mlflow"


def _github(cid: int) -> ProfileItem:
    # Work outside ML on GitHub: what each one shows of ML is the ML-native source alone.
    repo = RepositoryItem(
        "dotfiles", "My shell setup", "Shell", [], 12, 3, False,
        NOW - timedelta(days=300), NOW - timedelta(days=20),
    )  # fmt: skip
    return ProfileItem(
        "github", f"gh{cid}", NOW, handle=f"dev{cid}", followers=10,
        updated_at=NOW - timedelta(days=20), repositories=[repo],
    )  # fmt: skip


def hub_item(downloads: int = 12_400) -> ProfileItem:
    model = HubItemRow(
        MODEL, "model", downloads, 85, "transformers", "text-generation", ["pytorch", "llama"],
        NOW - timedelta(days=60), NOW - timedelta(days=10),
    )  # fmt: skip
    space = HubItemRow("spaces/alice/empty", "space")  # no library, task or ML tag: not counted
    return ProfileItem("huggingface", "alice", NOW, handle="alice", hub_items=[model, space])


def pypi_item() -> ProfileItem:
    package = PypiPackageRow(
        PACKAGE, "Maintainer", "Benchmarks for PyTorch models", "1.4.0", 18,
        NOW - timedelta(days=900), NOW - timedelta(days=40), "dev3/torchbench-lite",
        ["Topic :: Scientific/Engineering :: Artificial Intelligence"], ["benchmark"],
    )  # fmt: skip
    web = PypiPackageRow("tiny-web", "Owner", "A web framework", "0.1", 2)  # not ML: not counted
    return ProfileItem("pypi", "bob", NOW, handle="bob", pypi_packages=[package, web])


def store_people(session, regions: dict[int, str] | None = None, extra: int = 0) -> None:
    """Candidates BASE, HUB, PYPI, CONTRIB (equal on GitHub) and `extra` more like BASE; each
    in regions[cid] (default "india") with confidence 0.9."""
    regions = regions or {}
    cids = [BASE, HUB, PYPI, CONTRIB, *range(5, 5 + extra)]
    items = [_github(cid) for cid in cids] + [hub_item(), pypi_item()]
    ids = save_profiles(session, items)
    owners = {cid: [ids[("github", f"gh{cid}")]] for cid in cids}
    owners[HUB].append(ids[("huggingface", "alice")])
    owners[PYPI].append(ids[("pypi", "bob")])
    for cid in cids:
        session.add(Candidate(id=cid, display_name=f"Dev {cid}"))
        session.flush()
        for pid in owners[cid]:
            session.add(
                CandidateProfile(
                    candidate_id=cid, profile_id=pid, method="self", confidence=1, evidence={}
                )
            )
        region = regions.get(cid, "india")
        session.add(
            ProfileLocation(
                profile_id=owners[cid][0], country="IN" if region == "india" else "PL",
                regions=[region], confidence=0.9, evidence={},
            )
        )  # fmt: skip
    session.add(
        Contribution(
            profile_id=owners[CONTRIB][0], repo=PROJECT, commits=30, merged_prs=14,
            last_merged_at=NOW - timedelta(days=15), seen_at=NOW,
        )
    )  # fmt: skip
    # Not a project of ml_projects.toml: counts nothing.
    session.add(Contribution(profile_id=owners[BASE][0], repo="someone/blog", merged_prs=40))
    session.flush()
