"""The `scout lookup` and `scout refresh` groups, shared by the sources.

`scout lookup <source> ID` fetches one account; `scout refresh <source>` re-fetches known ones.
Source modules add their commands to `lookup_app` and `refresh_app`.
"""

from __future__ import annotations

from scout.app import app, make_typer

lookup_app = make_typer("Fetch one account from a source, store it and print it.")
refresh_app = make_typer("Re-fetch known accounts whose data is getting old.")
app.add_typer(lookup_app, name="lookup")
app.add_typer(refresh_app, name="refresh")
