"""`scout regions`: the regions a crawl and a shortlist know, and the search terms of each."""

from __future__ import annotations

import typer
from rich.table import Table

from config.regions import display_of, load_regions_file
from enrich.location.region_terms import ORIGINS, region_search_terms, scripts
from scout.app import app, console, get_state, make_typer

regions_app = make_typer("Regions and the location terms a crawl searches for.")
app.add_typer(regions_app, name="regions")


@regions_app.command("list")
def regions_list() -> None:
    """List the regions of regions.toml (or your `regions_file`) and their countries.

    \b
    Example:
      scout regions list
    """
    regions = load_regions_file(get_state().settings.regions_file)
    table = Table("region", "name", "countries")
    for key, model in regions.regions.items():
        table.add_row(key, display_of(key, model), " ".join(model.countries))
    console().print(table)


def _script_of(text: str) -> str:
    found = sorted(scripts(text) - {"LATIN"}) or ["LATIN"]
    if any(0x1F1E6 <= ord(ch) <= 0x1F1FF for ch in text):
        return "flag"
    return "/".join(s.title() for s in found)


@regions_app.command("show")
def regions_show(
    name: str = typer.Argument(..., help="A region (key or name: eastern-europe, India)."),
    left_out: bool = typer.Option(
        False, "--left-out", help="Also list the generated names left out, and why."
    ),
) -> None:
    """Print the `location:` terms `scout crawl github --region NAME` searches for, where each
    came from (regions.toml by hand, a country's names, its flag, its cities and their names in
    the country's scripts and older spellings) and its script.

    \b
    Example:
      scout regions show eastern-europe
      scout regions show india --left-out
    """
    terms = region_search_terms(name, get_state().settings.regions_file)
    out = console()
    counts = {origin: sum(t.origin == origin for t in terms.terms) for origin in ORIGINS}
    out.print(
        f"{terms.key}: {len(terms.terms)} search terms ("
        + ", ".join(f"{n} {origin}" for origin, n in counts.items() if n)
        + ")"
    )
    for origin in ORIGINS:
        chosen = [t for t in terms.terms if t.origin == origin]
        if not chosen:
            continue
        out.print(f"\n[bold]{origin}[/bold] ({len(chosen)})")
        by_script: dict[str, list[str]] = {}
        for term in chosen:
            by_script.setdefault(_script_of(term.text), []).append(term.text)
        for script, texts in by_script.items():
            out.print(f"  {script}: " + ", ".join(texts), soft_wrap=True)
    if terms.exclude:
        out.print(f"\n[bold]excluded[/bold] ({len(terms.exclude)}): " + ", ".join(terms.exclude))
    if left_out:
        out.print(f"\n[bold]left out[/bold] ({len(terms.left_out)})")
        for text, why in terms.left_out:
            out.print(f"  {text}: {why}", soft_wrap=True)
