"""`scout browse`: open the database in Datasette with region, skill and source facets."""

from __future__ import annotations

import json

import typer

from config.errors import ScoutError
from config.regions import load_regions_file
from scout.app import app, err_console, get_state
from scout.browse import INSTALL_HINT, datasette_installed, metadata, serve, sqlite_path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def browse(
    port: int = typer.Option(8001, "--port", min=0, max=65535, help="Port (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    no_open: bool = typer.Option(False, "--no-open", help="Do not open a web browser."),
    print_metadata: bool = typer.Option(
        False, "--print-metadata", help="Print the Datasette metadata (JSON) and exit."
    ),
    include_contacts: bool | None = typer.Option(
        None,
        "--include-contacts/--no-contacts",
        help="Open the tables with contact fields (profiles, raw_records) and custom SQL "
        "(default: the include_contacts setting, off).",
    ),
) -> None:
    """Open the SQLite database in Datasette, with facets for region, skill and source.

    Tables get facets (profiles by source, profile_locations by region and country,
    skill_tags by skill), and canned queries list a shortlist or the candidates of a region
    and skill with their profiles, regions and top skills. Needs the browse extra:
    pip install 'talent-scout[browse]'. SQLite only: Datasette cannot read PostgreSQL.
    Contact fields stay closed unless turned on, as in shortlist exports: the profiles and
    raw_records tables and custom SQL are refused, and a canned query lists profiles without
    e-mail or website. With --include-contacts everything is open: keep --host on loopback
    unless everyone who can reach it may see them.

    \b
    Example:
      scout browse
      scout browse --port 8002 --no-open
      scout --db sqlite:///demo-output/scout.db browse
    """
    state = get_state()
    path = sqlite_path(state.settings.db_url)
    contacts = state.settings.include_contacts if include_contacts is None else include_contacts
    regions = load_regions_file(state.settings.regions_file).display_names()
    if print_metadata:
        typer.echo(json.dumps(metadata(path.stem, contacts, regions), indent=2))
        return
    if not datasette_installed():
        raise ScoutError(INSTALL_HINT)
    state.engine().dispose()  # the schema at head (or the usual message), as every command
    if host not in LOOPBACK:
        seen = "the whole database" if contacts else "every table but contact fields"
        err_console().print(f"Warning: serving on {host}: anyone who can reach it sees {seen}.")
    where = f"http://{host}:{port}/{path.stem}" if port else f"{host} on a free port"
    err_console().print(f"Datasette on {where} (Ctrl-C stops) ...")
    serve(
        path, host, port, open_browser=not no_open, include_contacts=contacts, region_names=regions
    )
