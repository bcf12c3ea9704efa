"""Account handles checked against each platform's rules before they go into any request.

A handle a user types ends up in a URL path (`/users/{login}`): checked here first, a value
like "someone/../../users/other" is refused with one message instead of steering the request
to another API path.
"""

from __future__ import annotations

import re

from config.errors import ScoutError

# GitHub: 1-39 characters, letters, digits and single hyphens, no hyphen first or last.
_GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
# Stack Exchange user ids are positive 32-bit integers.
SE_MAX_USER_ID = 2**31 - 1
# Kaggle user names: letters and digits (older accounts also have '-', '_' or '.'), at most 50
# characters, starting with a letter or digit; never '/', '..' or anything else a path reads.
_KAGGLE_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}")


# Stack Exchange tags: lower-case letters, digits and + # . - (".net", "c++"), at most 35.
_SE_TAG = re.compile(r"[a-z0-9+#.][a-z0-9+#.\-]{0,34}")


class HandleError(ScoutError):
    """A handle that cannot be an account on its platform."""


def github_login(value: str) -> str:
    """`value` when it is a valid GitHub login, else a HandleError saying the rule."""
    if is_github_login(value):
        return value
    raise HandleError(
        f"{value!r} is not a GitHub login (1-39 letters, digits or single hyphens, "
        "not starting or ending with a hyphen)"
    )


def is_github_login(value: str) -> bool:
    """Whether `value` is a valid GitHub login (for handles read back from the database)."""
    return bool(_GITHUB_LOGIN.fullmatch(value))


def stackexchange_user_id(value: str | int) -> int:
    """`value` as a Stack Exchange user id (a positive integer), else a HandleError."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= SE_MAX_USER_ID:
        return int(text)
    raise HandleError(f"{value!r} is not a Stack Exchange user id (a positive whole number)")


def kaggle_username(value: str) -> str:
    """`value` when it can be a Kaggle user name, else a HandleError."""
    if _KAGGLE_USERNAME.fullmatch(value) and ".." not in value:
        return value
    raise HandleError(
        f"{value!r} is not a Kaggle user name (up to 50 letters, digits, '-', '_' or '.', "
        "starting with a letter or digit)"
    )


def stackexchange_tag(value: str) -> str:
    """`value` when it can be a Stack Exchange tag (it goes into /tags/{tag}/...), else a
    HandleError."""
    if _SE_TAG.fullmatch(value) and value.strip("."):
        return value
    raise HandleError(
        f"{value!r} is not a Stack Exchange tag (up to 35 lower-case letters, digits, "
        "'+', '#', '.' or '-')"
    )
