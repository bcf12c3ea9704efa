"""Paging and conditional-request helpers of the GitHub REST emulator: `page`/`per_page` as
GitHub reads them, its Link header, and If-None-Match against an ETag."""

from __future__ import annotations

from urllib.parse import urlencode

from sandbox.model import Request


def paging(request: Request) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (default 30, at most 100), lenient as GitHub is."""

    def number(name: str, default: int) -> int:
        raw = request.param(name)
        return int(raw) if raw and raw.isdigit() else default

    return max(1, number("page", 1)), min(100, max(1, number("per_page", 30)))


def link(base: str, request: Request, page: int, last: int) -> str | None:
    """GitHub's Link header: prev, next, last, first as they apply, same query, new page."""
    if last <= 1 and page <= 1:
        return None
    params = [(k, v) for k, vs in request.query.items() for v in vs if k != "page"]

    def url(n: int) -> str:
        return f"{base}?{urlencode([*params, ('page', str(n))])}"

    rels: list[tuple[int, str]] = []
    if page > 1:
        rels.append((min(page - 1, max(last, 1)), "prev"))
    if page < last:
        rels += [(page + 1, "next"), (last, "last")]
    if page > 1:
        rels.append((1, "first"))
    return ", ".join(f'<{url(n)}>; rel="{rel}"' for n, rel in rels)


def etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))
