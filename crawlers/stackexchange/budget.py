"""`--budget N`: the most requests one run sends, shared out so that work once started ends.

Work comes in units: a page of a top-answerers listing; a questions page with the answers of
its questions; a batch of 100 profiles with their tag pages and top-answer-tags calls. A unit
starts with one request that says what the whole unit should cost (`cost`); it starts only if
that much of the budget is free, and the rest of its cost is set aside for it (a
`Reservation`), so the units already started can finish when the budget runs low and a stop
cuts no work in half: the next run has nothing to ask twice. A unit that needs more than it
set aside takes from what is free; one the budget cannot carry is cut, and the next run asks
it again. Requests are never sent past the budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# What a unit costs before the run has seen one: tag rows per profile, answers pages per
# questions page (the run's own averages replace them as it goes).
TAGS_PER_PROFILE = 8.0
ANSWER_PAGES_PER_UNIT = 2.0
MARGIN = 1.5  # a unit sets aside this much more than the average: units vary


@dataclass
class Reservation:
    """What one unit of work still has set aside."""

    left: int = 0


class Budget:
    """`limit` requests for this spider, of the run's budget of `total`."""

    def __init__(self, limit: int, total: int | None = None) -> None:
        self.limit = limit
        self.total = limit if total is None else total
        self.sent = 0
        self.held = 0  # set aside for units already started
        self._tag_rows = self._profiles = 0
        self._answer_pages = self._units = 0

    def admit(self, meta: dict[str, Any]) -> bool:
        """May this request go? (It is counted when it may.)"""
        unit: Reservation | None = meta.get("se_unit")
        if meta.get("se_starter"):
            cost = max(1, int(meta.get("se_cost") or 1))
            if self.sent + self.held + cost > self.limit:
                return False
            if unit is not None:
                unit.left = cost - 1
                self.held += cost - 1
        elif unit is not None and unit.left > 0:
            unit.left -= 1
            self.held -= 1
        elif self.sent + self.held >= self.limit:
            return False
        self.sent += 1
        return True

    def release(self, unit: Reservation | None) -> None:
        """A unit ended (done, given up or cut): what it did not use is free again."""
        if unit is not None and unit.left > 0:
            self.held -= unit.left
            unit.left = 0

    # -- estimates ---------------------------------------------------------------------------

    def profiles_cost(self, profiles: int, shortlisted: int) -> int:
        """A /users/{ids} batch: the call, its tag pages (100 rows a page), and one
        top-answer-tags call per shortlisted profile."""
        per = self._tag_rows / self._profiles if self._profiles else TAGS_PER_PROFILE
        return 1 + math.ceil(profiles * per * MARGIN / 100) + shortlisted

    def questions_cost(self) -> int:
        """A questions page and the pages of its answers."""
        per = self._answer_pages / self._units if self._units else ANSWER_PAGES_PER_UNIT
        return 1 + math.ceil(per * MARGIN)

    def saw_tags(self, profiles: int, rows: int) -> None:
        self._profiles += profiles
        self._tag_rows += rows

    def saw_answer_pages(self, pages: int) -> None:
        self._units += 1
        self._answer_pages += pages
