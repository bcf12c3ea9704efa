"""The `scout crawl` group: one subcommand per source (`scout crawl github`, ...).

Source modules add their commands to `crawl_app`; this module only creates the group.
"""

from __future__ import annotations

from scout.app import app, make_typer

crawl_app = make_typer("Crawl a source.")
app.add_typer(crawl_app, name="crawl")
