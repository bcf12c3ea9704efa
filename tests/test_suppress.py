"""The suppression list: hashes of identifiers, case-insensitive, total over hostile strings."""

from __future__ import annotations

from storage.suppress import is_suppressed, suppression_key


def test_a_login_is_suppressed_whatever_its_case():
    hashes = {suppression_key("github", "Octo-Cat")}
    assert is_suppressed(hashes, "github", "octo-cat", None)
    assert not is_suppressed(hashes, "github", "octocat", None)


def test_a_key_with_a_lone_surrogate_hashes_instead_of_raising():
    # A hostile payload's login can hold one; the suppression check runs before parsing.
    key = suppression_key("github", "bad\udc80login")
    assert len(key) == 64 and key != suppression_key("github", "badlogin")
