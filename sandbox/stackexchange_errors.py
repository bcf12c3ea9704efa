"""Stack Exchange 2.3 errors and the wire format every sandbox response shares.

Errors are the ones listed at https://api.stackexchange.com/docs/error-handling, with their
documented ids and names. The HTTP status is 400 "for all errors" (same page); the error_id
carries the kind. Bodies are always gzip-compressed JSON: "all API responses are compressed"
(https://api.stackexchange.com/docs), and a client that forgets to decode must fail here too.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from sandbox.model import Response

# https://api.stackexchange.com/docs/error-handling (ids and names as documented).
ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_parameter", "An invalid parameter was passed"),
    401: ("access_token_required", "A method that requires an access token was called without one"),
    402: ("invalid_access_token", "An invalid access token was passed to a method"),
    403: ("access_denied", "The access token lacks the permissions the method requires"),
    404: ("no_method", "no method found with this name"),
    405: ("key_required", "A method was called that requires an application key"),
    406: ("access_token_compromised", "The access token is no longer believed to be secure"),
    407: ("write_failed", "A write operation was rejected"),
    409: ("duplicate_request", "A request identical to one in the last few seconds was made"),
    500: ("internal_error", "An unexpected error occurred in the API"),
    502: ("throttle_violation", "An application has violated part of the rate limiting contract"),
    503: ("temporarily_unavailable", "Some or all of the API is unavailable"),
}

JSON_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Encoding": "gzip",
    "Cache-Control": "private",
    "Access-Control-Allow-Origin": "*",
}


class SEError(Exception):
    """A documented API error; becomes the error wrapper with HTTP 400."""

    def __init__(self, error_id: int, message: str | None = None) -> None:
        self.error_id = error_id
        self.message = message or ERRORS[error_id][1]
        super().__init__(self.message)


def bad(parameter: str) -> SEError:
    # The API names the offending parameter in error_message for bad_parameter.
    return SEError(400, parameter)


def compress(payload: dict[str, Any]) -> bytes:
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return gzip.compress(raw, compresslevel=5, mtime=0)


def error_response(error_id: int, message: str | None = None) -> Response:
    """The API's error wrapper for `error_id` (also usable by the server's fault injection)."""
    name, default = ERRORS[error_id]
    body = {"error_id": error_id, "error_message": message or default, "error_name": name}
    return Response(400, compress(body), dict(JSON_HEADERS))
