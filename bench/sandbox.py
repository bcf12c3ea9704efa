"""The sandbox server's own ceiling, so crawler benchmarks can tell when the server is the limit."""

from __future__ import annotations

import threading
import time

import httpx

from bench.common import figure
from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer
from sandbox.world import generate

SECONDS = 3.0
THREADS = 4
AUTH = {"Authorization": "token bench-token"}
GRAPHQL = """query($q: String!) { search(query: $q, type: USER, first: 100) {
  userCount pageInfo { hasNextPage endCursor }
  nodes { ... on User { login name location company bio websiteUrl createdAt
    followers { totalCount }
    repositories(first: 20, orderBy: {field: STARGAZERS, direction: DESC}) { nodes {
      name description isFork stargazerCount forkCount pushedAt primaryLanguage { name }
      repositoryTopics(first: 10) { nodes { topic { name } } } } } } } }
  rateLimit { cost remaining resetAt } }"""


def hammer(make_request: object) -> float:
    """Requests per second with THREADS keep-alive clients for SECONDS."""
    count = 0
    lock = threading.Lock()
    stop = time.perf_counter() + SECONDS

    def worker() -> None:
        nonlocal count
        with httpx.Client(timeout=30, headers=AUTH) as client:
            done = 0
            while time.perf_counter() < stop:
                response = make_request(client)  # type: ignore[operator]
                assert response.status_code == 200, response.text[:200]
                done += 1
        with lock:
            count += done

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - started)


def days_figure() -> None:
    """How long the living world takes to reach day 30 (2,000 people): tests and the season
    rehearsal build worlds like this one, so a slow step slows them all."""
    from sandbox.world_days import Timeline

    timeline = Timeline(generate(11, 2000))
    started = time.perf_counter()
    timeline.at(30)
    figure("world of 2,000 people to day 30", time.perf_counter() - started, "s", "< 2 s")


def main() -> None:
    days_figure()
    world = generate(7, 5000)
    options = SandboxOptions(rate_limit=10**9, search_per_minute=10**9)
    logins = [a.login for a in world.github.values() if a.type == "User"]
    with SandboxServer(world, options) as server:
        rest = server.github_url
        gql = server.github_url + "/graphql"
        n = iter(range(10**9))
        figure(
            "GET /users/{login}",
            hammer(lambda c: c.get(f"{rest}/users/{logins[next(n) % len(logins)]}")),
            "req/s",
        )
        body = {"query": GRAPHQL, "variables": {"q": "location:India type:user"}}
        figure(
            "GraphQL search page (100 users x 20 repos)",
            hammer(lambda c: c.post(gql, json=body)),
            "req/s",
        )


if __name__ == "__main__":
    main()
