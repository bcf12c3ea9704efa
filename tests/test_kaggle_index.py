"""The snapshot index is a cache: only the one its token names is used, and a damaged or
unwritable one costs a full read, never an error."""

from __future__ import annotations

import numpy as np

from crawlers.kaggle import index
from crawlers.kaggle.reader import FILES


def sample() -> index.SnapshotIndex:
    hashes = np.array([5, 3, 3, 9, 7], np.uint64)
    owners = np.array([0, 12, 13, 12, -12], np.int32)  # line 2 and 3 equal, other users
    tables = {name: index.FileTable.of(hashes, owners) for name in FILES}
    users = np.array([12, 13], np.int32)
    until = np.array([index.FOREVER, 740_000], np.int32)
    return index.SnapshotIndex({"token": "t1", "files": {}}, tables, users, until)


def test_equal_lines_of_different_users_are_ambiguous():
    table = sample().tables[FILES[0]]
    assert table.hashes.tolist() == [3, 5, 7, 9]
    assert table.owners.tolist() == [index.AMBIGUOUS, 0, -12, 12]


def test_only_the_index_the_cursor_names_is_used(tmp_path):
    path = index.index_path(tmp_path, "t1")
    assert index.save(path, sample())
    loaded = index.load(path, "t1")
    assert loaded is not None and loaded.users.tolist() == [12, 13]
    assert loaded.tables[FILES[2]].owners.tolist() == [index.AMBIGUOUS, 0, -12, 12]
    assert index.load(path, "another database") is None
    path.write_bytes(path.read_bytes()[:100])  # damaged
    assert index.load(path, "t1") is None
    assert index.load(tmp_path / "missing.npz", "t1") is None


def test_users_whose_only_signal_ages_out_are_found():
    # 13's submission counts until day 740,000; 12 has a tier (forever).
    assert sample().signal_lost(739_990, 740_010).tolist() == [13]
    assert sample().signal_lost(739_990, 739_999).tolist() == []


def test_a_folder_that_cannot_take_the_index_is_not_an_error(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert not index.save(index.index_path(not_a_folder, "t1"), sample())
