"""Entries of raw records about many accounts, read and removed by JSON pointer."""

from __future__ import annotations

from storage.entries import entry_at, without_entries

PAGE = {
    "items": [{"user": 1}, {"user": 2}, {"user": 3}, {"user": 4}],
    "a/b": {"~x": 5},
    "has_more": False,
}


def test_entry_at_reads_the_value_a_pointer_names_with_rfc6901_escapes():
    assert entry_at(PAGE, "/items/2") == {"user": 3}
    assert entry_at(PAGE, "/a~1b/~0x") == 5
    assert entry_at(PAGE, "/items/9") is None and entry_at(PAGE, "/nowhere/0") is None


def test_removing_entries_moves_the_later_items_up_and_leaves_the_payload_given_alone():
    payload, moved = without_entries(PAGE, ["/items/0", "/items/2"])
    assert payload["items"] == [{"user": 2}, {"user": 4}]
    assert payload["has_more"] is False and payload["a/b"] == {"~x": 5}
    assert [moved(p) for p in ("/items/1", "/items/3", "/a~1b/~0x")] == [
        "/items/0",
        "/items/1",
        "/a~1b/~0x",
    ]
    assert [entry_at(payload, moved(p)) for p in ("/items/1", "/items/3")] == [
        {"user": 2},
        {"user": 4},
    ]
    assert len(PAGE["items"]) == 4  # a copy was changed


def test_an_object_member_is_removed_by_name():
    payload, moved = without_entries(PAGE, ["/a~1b/~0x"])
    assert payload["a/b"] == {} and moved("/items/3") == "/items/3"
