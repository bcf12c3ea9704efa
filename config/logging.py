"""Logging with secrets redacted everywhere, as text or JSON lines."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# Token shapes of the platforms we call, plus key=/access_token= query parameters.
TOKEN_PATTERNS = [
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"(?i)((?:key|access_token|token|password)=)[^&\s\"']+"),
    re.compile(r"(?i)(authorization:\s*(?:token|bearer|basic)\s+)\S+"),
    # user:password@ in any URL (http://u:SECRET@host/github, postgresql://scout:pw@db/x).
    re.compile(r"((?<![\w+.-])[A-Za-z][\w+.-]*://[^\s/@:]*:)[^\s/]+(@)"),
]
MASK = "***"
_URL_PASSWORD = TOKEN_PATTERNS[-1]


def mask_url_credentials(value: Any) -> Any:
    """`value` with the password of every URL in it masked (strings inside dicts and lists
    too): what crawl_runs.args, `config show` and logs may keep of a URL."""
    if isinstance(value, str):
        return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(2), value)
    if isinstance(value, dict):
        return {k: mask_url_credentials(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_url_credentials(v) for v in value)
    return value


class Redactor:
    """Replaces known secret values and token-shaped strings with ***."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        self.secrets = sorted({s for s in (secrets or []) if len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub(
                lambda m: (
                    (m.group(1) if m.groups() else "")
                    + MASK
                    + (m.group(2) if m.lastindex and m.lastindex >= 2 else "")
                ),
                text,
            )
        return text


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.redactor(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redactor(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        for key, value in record.__dict__.items():
            if key.startswith("ctx_"):
                entry[key[4:]] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(
    level: str = "INFO", as_json: bool = False, secrets: list[str] | None = None
) -> Redactor:
    """Route every logger (ours, Scrapy's, httpx's) through one redacting handler on stderr."""
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_scout", False):
            root.removeHandler(old)
    handler._scout = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in (
        "httpx",
        "httpcore",
        "scrapy",
        "twisted",
        "urllib3",
        "github",
        "filelock",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redactor
