"""Every parser against hostile input: mutations of valid payloads, through the real parsers and
a save on SQLite. `make fuzz` runs >= 10,000 cases and prints the count and the number of
undeclared exceptions (the goal: 0); tests/test_parse_fuzz.py runs a fast slice of the same.

The inputs (hostile values put into valid payloads of the sandbox world) come from
bench/fuzz_inputs.py; this module is what the crawl does with them, and the counting. Each case
goes through what the crawl does with such a body: decode, parse, fit and save (raw records
included), and counts as declared when it ends in the project's own errors (PayloadError,
ScoutError) or the replay's Skipped, undeclared otherwise.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.fuzz_inputs import KAGGLE_FILES, Bases, body, kaggle_files, make_bases, mutated
from config.errors import PayloadError, ScoutError
from config.sites import SOURCE as SE_SOURCE
from crawlers import payload as P
from crawlers.github import parse as gh
from crawlers.kaggle.run import ingest_folder
from crawlers.replay import Raw, Skipped, replay
from crawlers.stackexchange import parse as so
from crawlers.stackexchange.discover import AnswerDiscovery
from storage import db as storage_db
from storage.items import ProfileItem, RawItem
from storage.save import fitted_payload, save_profiles, save_raw

DECLARED: tuple[type[BaseException], ...] = (PayloadError, ScoutError, Skipped)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE_ENV = "SCOUT_FUZZ_PROFILE"
# Cases per target in the big run (`make fuzz`): 10,000 in all, split as the issue measured.
BIG_RUN = {
    "graphql_page": 3000,
    "se_users": 900,
    "se_tags": 600,
    "se_top_answer_tags": 600,
    "se_top_answerers": 900,
    "se_questions": 300,
    "se_answers": 300,
    "rest_user": 1000,
    "replay": 2000,
    "kaggle_files": 1000,
}

settings.register_profile(
    "ci",  # `make test`: a few hundred cases in all, well under a minute
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "fuzz",  # the big run: no shrinking, every example counted
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# -- what the crawl does with a body ----------------------------------------------------------


@dataclass
class Env:
    """What the cases need: valid payloads, a SQLite database, a folder for Kaggle files."""

    bases: Bases
    engine: Engine
    folder: Path

    def store(self, items: list[ProfileItem], raw: list[RawItem]) -> None:
        """Save as the crawl's store step does, then roll back (the next case starts clean)."""
        with Session(self.engine) as session:
            save_raw(session, raw)
            save_profiles(session, items)
            session.flush()
            session.rollback()


def _raw(endpoint: str, key: str, payload: Any) -> RawItem:
    return RawItem("fuzz", endpoint, key, NOW, payload, subject=None)


def run_graphql_page(text: bytes, env: Env) -> None:
    """The spider's path: decode, search nodes, classify, parse, store."""
    payload = P.decode(text, "graphql:search")
    items, raw = [], []
    for node in gh.search_nodes(P.obj(payload, "response")):
        raw.append(_raw("graphql:search", str(node.get("login")), node))
        try:
            if gh.classify(node) is None:
                item = gh.parse_user(node, NOW)
                if item is not None:
                    items.append(item)
        except PayloadError:
            continue  # quarantined; the rest of the page is stored
    env.store(items, raw)


def run_rest_user(pair: Any, env: Env) -> None:
    """Lookup/refresh: a PyGithub raw_data user and its repositories."""
    bundle = P.obj(pair, "bundle")
    user = P.obj(bundle.get("user"), "user")
    repos = P.array(bundle.get("repos"), "repos")
    raw = [_raw("rest:/users", "x", user), _raw("rest:/users/repos", "x", repos)]
    env.store([], raw)
    if gh.classify(user) is None:
        item = gh.parse_user(user, NOW, repos=repos, etag='W/"1"')
        env.store([item] if item else [], [])


Runner = Callable[[Any, "Env"], None]


def _se_runner(
    parse_items: Callable[[list[dict[str, Any]]], list[ProfileItem]], method: str
) -> Runner:
    """A Stack Exchange method's path: decode, the wrapper's items, parse, store."""

    def run(text: bytes, env: Env) -> None:
        items = so.wrapper_items(P.decode(text, method), method)
        env.store([], [_raw(method, str(i), item) for i, item in enumerate(items)])
        env.store(parse_items(items), [])

    return run


def _tag_profiles(tags: dict[int, Any]) -> list[ProfileItem]:
    return [
        ProfileItem("stackoverflow", str(uid), NOW, so_tags=list(rows))
        for uid, rows in tags.items()
    ]


def _counts_profiles(counts: dict[int, dict[str, int]]) -> list[ProfileItem]:
    out = []
    for uid, per_tag in counts.items():
        tags = so.merge_tag_strength([], [], per_tag)
        out.append(ProfileItem("stackoverflow", str(uid), NOW, so_tags=tags))
    return out


def _answerer_profiles(scores: list[so.TagScore]) -> list[ProfileItem]:
    return [
        ProfileItem(
            "stackoverflow",
            str(s.user_id),
            NOW,
            name=s.display_name,
            so_tags=so.merge_tag_strength([s]),
        )
        for s in scores
    ]


RUN_SE = {
    "se_users": _se_runner(lambda items: so.parse_users(items, NOW).profiles, "/users/{ids}"),
    "se_tags": _se_runner(lambda i: _counts_profiles(so.parse_user_tags(i)), "/users/{ids}/tags"),
    "se_top_answer_tags": _se_runner(
        lambda items: _tag_profiles(so.parse_top_tags(items)), "/users/{id}/top-answer-tags"
    ),
    "se_top_answerers": _se_runner(
        lambda items: _answerer_profiles(so.parse_top_answerers(items, "pytorch")),
        "/tags/{tag}/top-answerers/{period}",
    ),
}


def _discovery_runner(method: str, answers: bool) -> Runner:
    """Discovery by answers: a questions or answers page read item by item (an item that is
    not as documented is quarantined, the rest read)."""

    def run(text: bytes, env: Env) -> None:
        wrapper = P.obj(P.decode(text, method), method)
        items = so.wrapper_items(wrapper, method)
        discovery = AnswerDiscovery(env.engine, "stackoverflow", ["pytorch"], 1, Counter())
        unit = discovery.read_questions(
            discovery.walks["pytorch"], {"items": [] if answers else items, "has_more": False}
        )
        if answers:
            discovery.read_answers(unit, {"items": items})

    return run


RUN_SE["se_questions"] = _discovery_runner("/questions", answers=False)
RUN_SE["se_answers"] = _discovery_runner("/questions/{ids}/answers", answers=True)


def run_replay(records: Any, env: Env) -> None:
    """`scout rebuild`: one key's raw records (as stored, so fitted first) replayed and saved."""
    stored = []
    for record in P.array(records, "records"):
        record = P.obj(record, "record")
        endpoint = record.get("endpoint")
        if not isinstance(endpoint, str):
            raise PayloadError("fuzz: record without an endpoint")
        # What rebuild reads back is what save_raw wrote: fitted, then decoded by orjson.
        raw = _raw(endpoint, "k", record.get("payload"))
        with Session(env.engine) as session:
            save_raw(session, [raw])
            session.rollback()
        fitted = orjson.loads(orjson.dumps(_fitted_payload(record.get("payload"))))
        when = NOW.replace(second=1) if record.get("t") == 1 else NOW
        stored.append(Raw(endpoint, "k", when, None, fitted))
    source = "stackoverflow" if stored and stored[-1].endpoint == SE_SOURCE else "github"
    for r in stored:
        if r.endpoint == SE_SOURCE:
            r.endpoint = "/users/{ids}"
    hashes = {"0" * 64}  # a suppression list, so the suppression checks run
    items = replay(source, stored, hashes)
    env.store(items, [])


def _fitted_payload(payload: Any) -> Any:
    return fitted_payload(payload)[0]


def run_kaggle_files(files: Any, env: Env) -> None:
    """A Meta Kaggle file set with hostile cells, through the real ingest (reader included)."""
    folder = Path(tempfile.mkdtemp(dir=env.folder))
    for name in KAGGLE_FILES:
        with (folder / name).open("w", newline="", encoding="utf-8", errors="surrogatepass") as h:
            csv.writer(h).writerows([[_cell(c) for c in row] for row in files[name]])
    ingest_folder(env.engine, folder, force=True)


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("\x00", "")  # csv writes no NUL; the reader's own test covers it
    try:
        return json.dumps(value)
    except (ValueError, RecursionError):
        return "[[[["


@dataclass
class Target:
    name: str
    strategy: Callable[[Env], st.SearchStrategy[Any]]
    run: Runner


TARGETS: dict[str, Target] = {
    "graphql_page": Target("graphql_page", lambda e: body(e.bases.graphql_pages), run_graphql_page),
    **{
        name: Target(name, lambda e, n=name: body(e.bases.se[n]), run)  # type: ignore[misc]
        for name, run in RUN_SE.items()
    },
    "rest_user": Target("rest_user", lambda e: mutated(e.bases.rest_users), run_rest_user),
    "replay": Target(
        "replay",
        lambda e: mutated(e.bases.records),
        run_replay,
    ),
    "kaggle_files": Target(
        "kaggle_files",
        lambda e: kaggle_files(e.bases.world, e.folder / "base"),
        run_kaggle_files,
    ),
}


def make_env(folder: Path, url: str | None = None, people: int = 150) -> Env:
    """Valid payloads and a database (SQLite in `folder` unless `url` names another)."""
    engine = storage_db.open_database(url or f"sqlite:///{folder / 'fuzz.db'}")
    return Env(make_bases(people=people), engine, folder)


# -- the counting run -------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0
    declared: int = 0
    undeclared: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)


def count(target: Target, env: Env, examples: int) -> Tally:
    """Run `examples` cases of one target, counting outcomes instead of stopping at the first."""
    tally = Tally()

    @settings(settings.get_profile("fuzz"), max_examples=examples)
    @given(target.strategy(env))
    def case(value: Any) -> None:
        tally.cases += 1
        try:
            target.run(value, env)
        except DECLARED:
            tally.declared += 1
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            key = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
            tally.undeclared[key] += 1
            if len(tally.samples) < 5:
                tally.samples.append(f"{key}: {str(exc)[:200]}")

    case()
    return tally


def main() -> None:
    scale = float(os.environ.get("SCOUT_FUZZ_SCALE", "1"))
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        env = make_env(Path(tmp))
        total = Tally()
        started = time.perf_counter()
        for name, examples in BIG_RUN.items():
            began = time.perf_counter()
            tally = count(TARGETS[name], env, max(1, int(examples * scale)))
            undeclared = sum(tally.undeclared.values())
            print(
                f"   {name:<20} {tally.cases:>6,} cases  {tally.declared:>6,} declared errors  "
                f"{undeclared:>4} undeclared  ({time.perf_counter() - began:.1f}s)"
            )
            for sample in tally.samples:
                print(f"      ! {sample}")
            total.cases += tally.cases
            total.declared += tally.declared
            total.undeclared.update(tally.undeclared)
        seconds = time.perf_counter() - started
        env.engine.dispose()
    undeclared = sum(total.undeclared.values())
    print(
        f"   fuzz: {total.cases:,} cases over {len(BIG_RUN)} parsers, {undeclared} undeclared "
        f"exceptions, {total.declared:,} declared (PayloadError/ScoutError), {seconds:.0f}s "
        f"on {platform.machine()} x{os.cpu_count()}"
    )
    if undeclared:
        raise RuntimeError(f"{undeclared} undeclared exceptions: {dict(total.undeclared)}")


if __name__ == "__main__":
    main()
