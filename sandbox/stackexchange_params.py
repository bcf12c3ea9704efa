"""The query parameters every Stack Exchange 2.3 method shares, read as the API reads them.

`site` is required; `filter` names a built-in or custom filter; paging is `page` (from 1) and
`pagesize` (0-100, 30 by default: /docs/paging); `order` is desc unless asc; `min`/`max` bound
the sort field and `fromdate`/`todate` the creation date (unix epochs, both inclusive). A value
the API would refuse is bad_parameter naming the parameter (/docs/error-handling).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sandbox import stackexchange_filters as filters
from sandbox.stackexchange_errors import SEError, bad
from sandbox.stackexchange_sites import site_name

T = TypeVar("T")
MAX_IDS = 100
MAX_PAGESIZE = 100
DEFAULT_PAGESIZE = 30  # /docs/paging


@dataclass(slots=True)
class Page:
    """What a method produced, before the wrapper and the filter are applied."""

    items: list[dict[str, Any]]
    type_name: str
    total: int
    page: int
    pagesize: int
    filter: filters.Filter


class Params:
    def __init__(self, query: dict[str, list[str]]) -> None:
        self.query = query

    def get(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise bad(name) from None

    def filter(self) -> filters.Filter:
        try:
            return filters.resolve(self.get("filter"))
        except filters.FilterError as err:
            raise bad(err.parameter) from None

    def site(self) -> str:
        """The site a method runs on (every method but /filters and /errors needs one): its
        api_site_parameter, from that or its domain. Missing or unknown, the API answers
        bad_parameter ("site is required", "No site found for name `x`")."""
        site = self.get("site")
        if not site:
            raise bad("site is required")
        name = site_name(site)
        if name is None:
            raise bad(f"No site found for name `{site}`")
        return name

    def site_filter(self) -> filters.Filter:
        """The filter of a method that needs `site`."""
        self.site()
        return self.filter()

    def paging(self) -> tuple[int, int]:
        page = self.integer("page", 1)
        pagesize = self.integer("pagesize", DEFAULT_PAGESIZE)
        assert page is not None and pagesize is not None
        if page < 1:
            raise bad("page")
        if not 0 <= pagesize <= MAX_PAGESIZE:
            raise bad("pagesize")
        return page, pagesize

    def descending(self) -> bool:
        order = self.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise bad("order")
        return order == "desc"

    def bound(self, name: str, kind: str) -> Any:
        """`min`/`max`/`fromdate`/`todate` as the sort field's kind (number, date, string)."""
        value = self.get(name)
        if value is None or value == "":
            return None
        if kind == "string":
            return value.lower()
        try:
            return int(value)
        except ValueError:
            raise bad(name) from None

    def sort(self, kinds: dict[str, str], default: str) -> tuple[str, Any, Any]:
        """The sort (bad_parameter when not one of `kinds`) and its min/max bounds."""
        sort = self.get("sort") or default
        if sort not in kinds:
            raise bad("sort")
        return sort, self.bound("min", kinds[sort]), self.bound("max", kinds[sort])

    def dates(self) -> tuple[int | None, int | None]:
        since, until = self.bound("fromdate", "date"), self.bound("todate", "date")
        return since, until

    def page_of(self, rows: list[dict[str, Any]], type_name: str, flt: filters.Filter) -> Page:
        page, pagesize = self.paging()
        start = (page - 1) * pagesize
        return Page(rows[start : start + pagesize], type_name, len(rows), page, pagesize, flt)

    def page_rendered(
        self,
        objects: Sequence[T],
        render: Callable[[T], dict[str, Any]],
        type_name: str,
        flt: filters.Filter,
    ) -> Page:
        """One page of `objects`, only that page rendered (listings of many posts)."""
        page, pagesize = self.paging()
        start = (page - 1) * pagesize
        rows = [render(o) for o in objects[start : start + pagesize]]
        return Page(rows, type_name, len(objects), page, pagesize, flt)


def within(value: Any, lo: Any, hi: Any) -> bool:
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def ids_segment(segment: str) -> list[int]:
    """The `{ids}` of a method path: up to 100 numbers separated by semicolons."""
    parts = [p for p in segment.split(";") if p != ""]
    if not parts or not all(p.isdigit() for p in parts):
        # /docs/error-handling: non-numeric ids on an {ids} method give no_method.
        raise SEError(404)
    if len(parts) > MAX_IDS:
        raise bad("ids")
    return list(dict.fromkeys(int(p) for p in parts))
