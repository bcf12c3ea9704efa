"""Two places in one string: which one a person is in now (the kind "multi").

A profile that names two places in two countries is ambiguous unless its words say where the
person is now (tests/data/README-locations.md, "multi"):

- *now cues* name the present place: "Kyiv, now in Warsaw", "Born in Kharkiv, based in
  Berlin", "Living in Tallinn, originally from Kyiv", "Moved from Moscow to Tbilisi",
  "currently Lisbon";
- *past cues* name a place the person has left: "originally from", "born in", "grew up in",
  "ex-", "formerly", "previously", "moved from". With no now cue, the places left once the
  past ones are taken out are the present ("Berlin (originally from Kharkiv)").

`present(text)` returns the text of the present place and the cue that names it, or None
when the string has no cue (then every place counts, and a bare arrow or slash between two
countries stays ambiguous: "Kyiv -> Warsaw").

`split_and(text, known)` cuts a string at " & " and " and " between places ("Chennai, India &
Dallas, TX" is two places) unless a known name spans the word ("Trinidad and Tobago",
"Bosnia & Herzegovina", "Newfoundland and Labrador").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from enrich.textfold import fold

_NOW = re.compile(
    r"\b(?:(?:now|currently|presently|today)(?:\s+(?:based|living|located|working|residing))?"
    r"(?:\s+(?:in|at))?|(?:based|living|located|residing|lives|live|settled)\s+in"
    r"|(?:moved|moving|relocated|relocating)(?:\s+from\s+.+?)?\s+to)\s+",
    re.I,
)
_PAST = re.compile(
    r"(?:\b(?:originally|born|grew\s+up|raised|formerly|previously|hometown)"
    r"(?:\s+(?:from|in|at))?|\bmoved\s+from|\bfrom)\s+|(?<!\w)ex-\s*",
    re.I,
)
# Where a cued place ends: the next cue, or a separator that starts another clause.
_CLAUSE_END = re.compile(r"\s*(?:[;|(\[]|,\s*(?=\w+\s+(?:from|in|to)\b)|\s-\s|$)")


def _clause(text: str, start: int) -> str:
    """The place written from `start` up to the next cue or clause end."""
    rest = text[start:]
    ends = [m.start() for m in (_NOW.search(rest), _PAST.search(rest)) if m is not None]
    end = _CLAUSE_END.search(rest)
    if end is not None:
        ends.append(end.start())
    return rest[: min(ends, default=len(rest))].strip(" ,.-)]")


def present(text: str) -> tuple[str, str] | None:
    """(the present place's text, a note saying which cue chose it), or None when no cue
    says it."""
    now = _NOW.search(text)
    if now is not None:
        place = _clause(text, now.end())
        return (place, f"'{now.group().strip()}' says where they are now") if place else None
    pasts = list(_PAST.finditer(text))
    if not pasts or not any(p.group().strip().lower() != "from" for p in pasts):
        return None  # a bare "from" ("Greetings from Berlin") says nothing about a move
    kept, left = text, list[str]()
    for past in reversed(pasts):
        gone = _clause(text, past.end())
        kept = kept[: past.start()] + " " + kept[past.end() + len(gone) :]
        left.insert(0, f"{past.group().strip()}{' ' if past.group()[-1:].isspace() else ''}{gone}")
    kept = re.sub(r"[\s,;()\[\]]+", " ", kept).strip(" -")
    note = " and ".join(f"'{x}'" for x in left) + " is where they were"
    return (kept, note) if kept else None


_AND = re.compile(r"\s+(?:&|and)\s+", re.I)
_WORDS_AROUND = 3


def split_and(text: str, known: Callable[[str], bool]) -> list[str]:
    """`text` cut at each " & " / " and " that no known name spans (`known(folded name)`); a
    spanned "&" is written "and", as the name is ("Antigua & Barbuda")."""
    pieces: list[str] = []
    current, last = "", 0
    for match in _AND.finditer(text):
        current += text[last : match.start()]
        before = current.split()[-_WORDS_AROUND:]
        after = text[match.end() :].split()[:_WORDS_AROUND]
        spanned = any(
            known(fold(" ".join([*before[i:], "and", *after[:j]]).strip(",")))
            for i in range(len(before))
            for j in range(1, len(after) + 1)
        )
        if spanned:
            current += " and "
        else:
            pieces.append(current)
            current = ""
        last = match.end()
    return [*pieces, current + text[last:]]
