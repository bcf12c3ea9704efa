"""Entries of a raw record about many accounts, by the JSON pointer its crawler stored.

A crawler that saves a record about many accounts (a Stack Exchange top-answerers page) says
where each account's entry is (raw_record_entries, RFC 6901 pointers such as "/items/3").
Forget removes exactly those entries and export copies them, by pointer: storage never
reads what a payload means.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any


def _tokens(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _pointer(tokens: Iterable[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _step(node: Any, token: str) -> Any:
    if isinstance(node, list):
        return node[int(token)] if token.isdigit() and int(token) < len(node) else None
    return node.get(token) if isinstance(node, dict) else None


def entry_at(payload: Any, pointer: str) -> Any:
    """The value at `pointer` in `payload` (None when the payload has no such place)."""
    node = payload
    for token in _tokens(pointer):
        node = _step(node, token)
    return node


def without_entries(payload: Any, pointers: Iterable[str]) -> tuple[Any, Callable[[str], str]]:
    """A copy of `payload` without the values at `pointers`, and where any other pointer into
    the payload now points (an array item after a removed one moves up)."""
    doc = copy.deepcopy(payload)
    removed: dict[tuple[str, ...], list[str]] = {}
    for pointer in pointers:
        tokens = _tokens(pointer)
        removed.setdefault(tuple(tokens[:-1]), []).append(tokens[-1])
    shifts: dict[tuple[str, ...], list[int]] = {}
    for parent, names in removed.items():
        node = doc
        for token in parent:
            node = _step(node, token)
        if isinstance(node, list):
            indexes = sorted({int(n) for n in names if n.isdigit() and int(n) < len(node)})
            for index in reversed(indexes):
                del node[index]
            shifts[parent] = indexes
        elif isinstance(node, dict):
            for name in names:
                node.pop(name, None)

    def moved(pointer: str) -> str:
        tokens = _tokens(pointer)  # a list: its index tokens are rewritten
        for parent, indexes in shifts.items():
            depth = len(parent)
            if tuple(tokens[:depth]) == parent and len(tokens) > depth and tokens[depth].isdigit():
                index = int(tokens[depth])
                tokens[depth] = str(index - sum(r < index for r in indexes))
        return _pointer(tokens)

    return doc, moved
