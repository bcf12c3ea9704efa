"""Stack Overflow questions and answers of the sandbox world, derived one tag at a time.

The world keeps each user's totals per tag (`SOTagActivity`: answers, answer score, questions,
question score) and, since simulated days began, what each day added (`history`). This module
turns them into posts that add up exactly to those totals, deterministically from the seed:

- a user's answers in a tag: `answer_count` answers whose scores sum to `answer_score`; the
  first ones dated between the account's creation and its last access before simulated days
  (a newcomer's: within the day it joined), then each day's new answers within that day,
  and each day's votes spread over the answers existing then;
- a user's questions in a tag: `question_count` questions whose scores sum to
  `question_score`, dated like the first answers;
- every post carries exactly one tag of the world's tag lists, so /users/{ids}/tags,
  top-answer-tags and top-answerers agree with the posts;
- answers go, in time order, either to a recent question of the tag (about 40%) or to a new
  question asked shortly before by someone the world does not know (such questions carry no
  `owner`: the type page says it "may be absent"). A question's first answer is accepted
  when its asker accepts at all (45%).

Post ids grow with creation time, as on the site, and encode the tag
(`minute * 32 + tag index`, bumped forward to stay unique), so an answer's question is found
without building every tag. Day N's posts are day N-1's plus what day N added: ids, dates and
questions never change, scores only grow (votes). Built lazily per tag and per world.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from sandbox import world_accounts as wa
from sandbox import world_data as d
from sandbox.model import SOTagActivity, SOUser, World

# Every tag a world post can carry; a tag's index is part of its posts' ids (append-only).
POST_TAGS: tuple[str, ...] = (*d.GENERAL_SO_TAGS, *d.ML_SO_TAGS, *d.MLOPS_SO_TAGS)
TAG_INDEX = {tag: i for i, tag in enumerate(POST_TAGS)}
ID_STRIDE = 32  # > len(POST_TAGS): id % ID_STRIDE is the tag index
ID_BASE_MINUTE = wa.SO_START // 60 - 1000
NOW0 = wa.NOW_S  # day 0's "now": posts before it belong to the generated world
DAY = wa.DAY
ATTACH = 0.4  # share of answers that go to a recent question instead of a new one
RECENT = 8  # how many of a tag's latest questions an answer may go to
MAX_ANSWERS = 8
ACCEPTING = 0.45
_VERBS = (
    "How do I {x} with {tag}?",
    "{tag}: error when trying to {x}",
    "Why does {x} fail in {tag}?",
    "Best way to {x} using {tag}",
    "{tag} {x} gives unexpected results",
    "Is it possible to {x} in {tag}?",
)
_TASKS = (
    "load a saved model",
    "batch variable-length inputs",
    "freeze some layers",
    "run on several GPUs",
    "log metrics per epoch",
    "serialise a pipeline",
    "schedule a DAG",
    "read a parquet file",
    "tune hyperparameters",
    "export to ONNX",
    "deploy an endpoint",
    "reduce memory use",
    "set a random seed",
    "cache intermediate results",
    "stream the output",
)


@dataclass(slots=True)
class Answer:
    answer_id: int
    question_id: int
    user_id: int
    created: int
    score: int
    accepted: bool


@dataclass(slots=True)
class Question:
    question_id: int
    tag: str
    created: int
    score: int
    views: int
    title: str
    owner_id: int | None  # a world user who asked; None: an asker the world does not know
    accepting: bool
    answers: list[Answer] = field(default_factory=list)

    @property
    def activity(self) -> int:
        """last_activity_date: the question or its newest answer (posts are never edited)."""
        return self.answers[-1].created if self.answers else self.created

    @property
    def accepted_answer_id(self) -> int | None:
        return self.answers[0].answer_id if self.accepting and self.answers else None


@dataclass(slots=True)
class TagPosts:
    tag: str
    questions: list[Question]  # in creation order
    by_id: dict[int, Question]


def tag_of_post(post_id: int) -> str | None:
    """The tag a post id belongs to (None for an id no world post can have)."""
    index = post_id % ID_STRIDE
    return POST_TAGS[index] if index < len(POST_TAGS) else None


def split(rng: random.Random, total: int, n: int) -> list[int]:
    """`total` votes over `n` posts, heavy-tailed (many posts get few or none); sums exactly."""
    if n <= 0:
        return []
    if total <= 0:
        return [0] * n
    weights = [rng.paretovariate(1.5) for _ in range(n)]
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    out = [int(s) for s in shares]
    order = sorted(range(n), key=lambda i: (out[i] - shares[i], i))  # largest remainder first
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _first_posts_window(u: SOUser) -> tuple[int, int]:
    """Where a user's first posts fall: creation to their last access before simulated days;
    a newcomer's within the day they joined."""
    created = int(u.creation_date.timestamp())
    if created >= NOW0:
        return created, NOW0 + ((created - NOW0) // DAY + 1) * DAY - 1
    until = u.active_until or u.last_access_date
    return created, max(created, min(int(until.timestamp()), NOW0 - 1))


def _dates(rng: random.Random, lo: int, hi: int, n: int) -> list[int]:
    return sorted(lo + rng.randrange(hi - lo + 1) for _ in range(n))


def user_answers(seed: int, u: SOUser, t: SOTagActivity) -> list[tuple[int, int]]:
    """(created, score) of each of `u`'s answers in `t`, oldest first."""
    added = sum(posts for _, posts, _ in t.history)
    voted = sum(votes for _, _, votes in t.history)
    first = max(0, t.answer_count - added)
    rng = random.Random(f"sandbox-so-answers:{seed}:{u.user_id}:{t.tag_name}")
    lo, hi = _first_posts_window(u)
    dates = _dates(rng, lo, hi, first)
    scores = split(rng, max(0, t.answer_score - voted), first)
    created = int(u.creation_date.timestamp())
    for i, (day, posts, votes) in enumerate(t.history):
        r = random.Random(f"sandbox-so-answers:{seed}:{u.user_id}:{t.tag_name}:{day}:{i}")
        start = NOW0 + (day - 1) * DAY
        if posts:
            dates += _dates(r, max(start, created), start + DAY - 1, posts)
            scores += split(r, votes, posts)
        else:
            for j, extra in enumerate(split(r, votes, len(scores))):
                scores[j] += extra
    return list(zip(dates, scores, strict=True))


def user_questions(seed: int, u: SOUser, t: SOTagActivity) -> list[tuple[int, int]]:
    """(created, score) of each question `u` asked in `t`, oldest first."""
    rng = random.Random(f"sandbox-so-questions:{seed}:{u.user_id}:{t.tag_name}")
    lo, hi = _first_posts_window(u)
    n = max(0, t.question_count)
    return list(zip(_dates(rng, lo, hi, n), split(rng, t.question_score, n), strict=True))


def _day_floor(moment: int) -> int:
    """The earliest a question may be dated for an answer at `moment`: a day's new answers
    only go to questions of that day or earlier (posts of a past day never change)."""
    if moment < NOW0:
        return wa.SO_START
    return NOW0 + (moment - NOW0) // DAY * DAY


def build_tag(seed: int, tag: str, users: Iterable[tuple[SOUser, SOTagActivity]]) -> TagPosts:
    """Every question of `tag` with its answers, as of the world the users come from."""
    events: list[tuple[int, int, int, int, int]] = []  # (time, kind, user, n, score)
    for u, t in users:
        for n, (when, score) in enumerate(user_questions(seed, u, t)):
            events.append((when, 0, u.user_id, n, score))
        for n, (when, score) in enumerate(user_answers(seed, u, t)):
            events.append((when, 1, u.user_id, n, score))
    events.sort()
    rng = random.Random(f"sandbox-so-posts:{seed}:{tag}")
    questions: list[Question] = []
    answers: list[Answer] = []
    recent: list[Question] = []

    def ask(when: int, owner: int | None, score: int | None) -> Question:
        if score is None:
            score = wa.lognorm(rng, 0.8, 1.2)
        title = rng.choice(_VERBS).format(x=rng.choice(_TASKS), tag=tag)
        views = max(0, score) * rng.randint(20, 200) + rng.randint(5, 300)
        q = Question(0, tag, when, score, views, title, owner, rng.random() < ACCEPTING)
        questions.append(q)
        recent.append(q)
        del recent[:-RECENT]
        return q

    for when, kind, uid, _, score in events:
        if kind == 0:
            ask(when, uid, score)
            continue
        eligible = [
            q
            for q in recent
            if q.created < when
            and q.owner_id != uid
            and len(q.answers) < MAX_ANSWERS
            and all(a.user_id != uid for a in q.answers)
        ]
        if eligible and rng.random() < ATTACH:
            q = rng.choice(eligible)
        else:
            asked = when - 60 - int(rng.expovariate(1 / 21600))
            q = ask(max(_day_floor(when), asked), None, None)
        a = Answer(0, 0, uid, when, score, accepted=q.accepting and not q.answers)
        q.answers.append(a)
        answers.append(a)
    _number(tag, questions, answers)
    questions.sort(key=lambda q: (q.created, q.question_id))
    return TagPosts(tag, questions, {q.question_id: q for q in questions})


def _number(tag: str, questions: list[Question], answers: list[Answer]) -> None:
    """Ids in creation order (a question before an answer of the same second), unique and
    growing: minute * ID_STRIDE + tag index, bumped past the previous post's id."""
    index = TAG_INDEX[tag]
    posts: list[tuple[int, int, int, Question | Answer]] = [
        (q.created, 0, i, q) for i, q in enumerate(questions)
    ]
    posts += [(a.created, 1, i, a) for i, a in enumerate(answers)]
    posts.sort(key=lambda p: p[:3])
    last = -ID_STRIDE
    for when, _, _, post in posts:
        number = max((when // 60 - ID_BASE_MINUTE) * ID_STRIDE + index, last + ID_STRIDE)
        last = number
        if isinstance(post, Question):
            post.question_id = number
        else:
            post.answer_id = number
    for q in questions:
        for a in q.answers:
            a.question_id = q.question_id


class PostIndex:
    """The posts of one site of one world (stackoverflow's unless `users` are another
    site's), built per tag on first use (thread-safe)."""

    def __init__(self, world: World, users: dict[int, SOUser] | None = None) -> None:
        self.seed = world.seed
        self.now = int(world.now.timestamp())
        self._by_tag: dict[str, list[tuple[SOUser, SOTagActivity]]] | None = None
        self._users = world.stackoverflow if users is None else users
        self._tags: dict[str, TagPosts] = {}
        self._lock = threading.Lock()

    def _users_by_tag(self) -> dict[str, list[tuple[SOUser, SOTagActivity]]]:
        if self._by_tag is None:
            by_tag: dict[str, list[tuple[SOUser, SOTagActivity]]] = {}
            for uid in sorted(self._users):
                u = self._users[uid]
                if u.user_type == "does_not_exist":
                    continue
                for t in u.tags:
                    if t.tag_name in TAG_INDEX and (t.answer_count > 0 or t.question_count > 0):
                        by_tag.setdefault(t.tag_name, []).append((u, t))
            self._by_tag = by_tag
        return self._by_tag

    def tag(self, tag: str) -> TagPosts:
        """Every question of `tag` (none for a tag the world has no posts in)."""
        tag = tag.lower()
        with self._lock:
            found = self._tags.get(tag)
            if found is None:
                if tag in TAG_INDEX:
                    found = build_tag(self.seed, tag, self._users_by_tag().get(tag, []))
                else:
                    found = TagPosts(tag, [], {})
                self._tags[tag] = found
            return found

    def question(self, question_id: int) -> Question | None:
        tag = tag_of_post(question_id)
        return None if tag is None else self.tag(tag).by_id.get(question_id)
