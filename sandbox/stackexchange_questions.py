"""The Stack Exchange 2.3 question methods of the sandbox: `/questions`, `/questions/{ids}` and
`/questions/{ids}/answers`, over the posts of sandbox.stackexchange_posts.

As https://api.stackexchange.com/docs/questions says: `tagged` is a semicolon-separated AND of
up to 5 tags (more "will always return zero results"); sorts are activity (the default,
last_activity_date), creation (creation_date) and votes (score), which take `min`/`max`, and
hot, week and month, which do not (here: hot orders by activity, week and month by score among
questions active in the last 7 or 30 days). `fromdate`/`todate` bound creation_date.
/questions/{ids}/answers takes up to 100 question ids and sorts answers by activity, creation
or votes the same way ("polling for new or updated answers (in conjunction with
sort=activity)"). Shapes are the question and answer types: an answer's `owner` is the
shallow_user of its author, a question's owner is absent when the world does not know who
asked it. Strings are HTML-encoded under safe filters, as everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sandbox import stackexchange_filters as filters
from sandbox.stackexchange_objects import SOIndex, html_safe
from sandbox.stackexchange_params import Page, Params, within
from sandbox.stackexchange_posts import POST_TAGS, Answer, Question

MAX_TAGGED = 5
SORTS = {"activity": "date", "creation": "date", "votes": "number"}
FORMULA_SORTS = {"hot": 0, "week": 7, "month": 30}  # days of activity a formula sort looks at
# Content licences by the date a post was made (https://stackoverflow.com/help/licensing).
_LICENCES = (
    (int(datetime(2011, 4, 8, tzinfo=UTC).timestamp()), "CC BY-SA 2.5"),
    (int(datetime(2018, 5, 2, tzinfo=UTC).timestamp()), "CC BY-SA 3.0"),
)
_SLUG = re.compile(r"[^a-z0-9]+")


def licence(created: int) -> str:
    for until, name in _LICENCES:
        if created < until:
            return name
    return "CC BY-SA 4.0"


def _slug(title: str) -> str:
    return _SLUG.sub("-", title.lower()).strip("-")[:80].rstrip("-") or "question"


class QuestionMethods:
    """The methods, answering from one world's SOIndex (a new day brings a new one)."""

    def __init__(self, index: SOIndex) -> None:
        self.index = index

    # -- objects -----------------------------------------------------------------------------

    def _owner(self, user_id: int | None, flt: filters.Filter) -> dict[str, Any] | None:
        rec = self.index.users.get(user_id) if user_id is not None else None
        if rec is None:
            return None
        return filters.project(rec.shallow if flt.unsafe else rec.shallow_safe, "shallow_user", flt)

    def _text(self, text: str, flt: filters.Filter) -> str:
        return text if flt.unsafe else html_safe(text)

    def question(self, q: Question, flt: filters.Filter) -> dict[str, Any]:
        obj: dict[str, Any] = {"tags": [q.tag]}
        owner = self._owner(q.owner_id, flt)
        if owner is not None:
            obj["owner"] = owner
        accepted = q.accepted_answer_id
        obj["is_answered"] = accepted is not None or any(a.score > 0 for a in q.answers)
        obj["view_count"] = q.views
        if accepted is not None:
            obj["accepted_answer_id"] = accepted
        obj["answer_count"] = len(q.answers)
        obj["score"] = q.score
        obj["last_activity_date"] = q.activity
        obj["creation_date"] = q.created
        obj["question_id"] = q.question_id
        obj["content_license"] = licence(q.created)
        obj["link"] = f"https://{self.index.domain}/questions/{q.question_id}/{_slug(q.title)}"
        obj["title"] = self._text(q.title, flt)
        return filters.project(obj, "question", flt)

    def answer(self, a: Answer, flt: filters.Filter) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        owner = self._owner(a.user_id, flt)
        if owner is not None:
            obj["owner"] = owner
        obj["is_accepted"] = a.accepted
        obj["score"] = a.score
        obj["last_activity_date"] = a.created  # the world's answers are never edited
        obj["creation_date"] = a.created
        obj["answer_id"] = a.answer_id
        obj["question_id"] = a.question_id
        obj["content_license"] = licence(a.created)
        # Not in the default filter, served when a filter asks for them.
        q = self.index.posts.question(a.question_id)
        obj["link"] = f"https://{self.index.domain}/a/{a.answer_id}"
        if q is not None:
            obj["title"] = self._text(q.title, flt)
            obj["tags"] = [q.tag]
        return filters.project(obj, "answer", flt)

    # -- methods -----------------------------------------------------------------------------

    def _question_key(self, p: Params) -> tuple[Callable[[Question], int], Any, Any, int | None]:
        """How /questions sorts (key, min, max, and the activity window of a formula sort)."""
        sort = p.get("sort") or "activity"
        if sort in FORMULA_SORTS:
            days = FORMULA_SORTS[sort]
            window = self.index.posts.now - days * 86400 if days else None
            key: Callable[[Question], int] = (lambda q: q.activity) if not days else _score
            return key, None, None, window
        sort, lo, hi = p.sort(SORTS, "activity")
        keys: dict[str, Callable[[Question], int]] = {
            "activity": lambda q: q.activity,
            "creation": lambda q: q.created,
            "votes": _score,
        }
        return keys[sort], lo, hi, None

    def _listing(self, p: Params, found: Iterable[Question]) -> Page:
        flt = p.site_filter()
        key, lo, hi, window = self._question_key(p)
        desc = p.descending()
        since, until = p.dates()
        rows = [
            q
            for q in found
            if within(key(q), lo, hi)
            and within(q.created, since, until)
            and (window is None or q.activity >= window)
        ]
        rows.sort(key=lambda q: (key(q), q.question_id), reverse=desc)
        return p.page_rendered(rows, lambda q: self.question(q, flt), "question", flt)

    def questions(self, p: Params) -> Page:
        tagged = list(dict.fromkeys(t.lower() for t in (p.get("tagged") or "").split(";") if t))
        posts = self.index.posts
        found: list[Question] = []
        if not tagged:
            for tag in POST_TAGS:
                found += posts.tag(tag).questions
        elif len(tagged) == 1:  # every world question carries exactly one tag
            found = posts.tag(tagged[0]).questions
        if len(tagged) > MAX_TAGGED:
            found = []
        return self._listing(p, found)

    def by_ids(self, p: Params, ids: list[int]) -> Page:
        posts = self.index.posts
        return self._listing(p, [q for q in map(posts.question, ids) if q is not None])

    def answers(self, p: Params, ids: list[int]) -> Page:
        flt = p.site_filter()
        sort, lo, hi = p.sort(SORTS, "activity")
        desc = p.descending()
        since, until = p.dates()
        found: list[Answer] = []
        for q in map(self.index.posts.question, ids):
            if q is not None:
                found += q.answers

        def key(a: Answer) -> int:
            return a.score if sort == "votes" else a.created

        rows = [a for a in found if within(key(a), lo, hi) and within(a.created, since, until)]
        rows.sort(key=lambda a: (key(a), a.answer_id), reverse=desc)
        return p.page_rendered(rows, lambda a: self.answer(a, flt), "answer", flt)


def _score(q: Question) -> int:
    return q.score
