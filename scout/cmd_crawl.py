"""The `scout crawl` group: one subcommand per source (`scout crawl github`, ...).

Source modules add their commands to `crawl_app`; this module only creates the group.
"""

from __future__ import annotations

from scout.app import app, make_typer

crawl_app = make_typer(
    "Crawl a source. Each crawl ends with one summary line (stored, requests, retries, errors, "
    "quarantined, quota spent) and exits 0 ok, 3 partial (--resume fetches what is owed), "
    "4 failed, 130 interrupted (Ctrl-C, SIGTERM), 2 a usage or config error."
)
app.add_typer(crawl_app, name="crawl")
