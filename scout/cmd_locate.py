"""`scout locate`: resolve free-text locations to a country and region, offline, with reasons."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import typer

from config.errors import ScoutError
from config.textfile import read_utf8
from enrich.location.countries import country_name
from enrich.location.regions import Regions, load_regions
from enrich.location.resolver import Resolution, resolve
from scout.app import app, console, get_state
from storage.csvfile import check_output_path, csv_writer

CSV_HEADER = ["location", "country", "region", "confidence", "reason", "city"]


def _located(text: str, regions: Regions) -> Resolution:
    # The fields enrich stores for the same string (Resolution.in_regions).
    return resolve(text).in_regions(regions)


def _read_lines(path: Path) -> list[str]:
    text = read_utf8(path, "file")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _csv_rows(lines: list[str], regions: Regions) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for line in lines:
        res = _located(line, regions)
        writer.writerow(
            [
                line,
                res.csv_country,
                ";".join(regions.display(n) for n in res.regions),
                f"{res.confidence:.2f}",
                res.reason,
                res.city or "",
            ]
        )
    return out.getvalue()


def _describe(text: str, res: Resolution, regions: Regions) -> str:
    if res.status == "resolved" and res.country:
        where = f"{res.country} ({country_name(res.country)})"
    elif res.status == "ambiguous":
        where = "ambiguous: " + ", ".join(
            f"{iso} ({country_name(iso)}) {share:.0%}" for iso, share in res.candidates
        )
    else:
        where = "no place"
    labels = ", ".join(regions.display(n) for n in res.regions) or "-"
    return (
        f"{text}\n"
        f"  country:    {where}\n"
        f"  city:       {res.city or '-'}\n"
        f"  confidence: {res.confidence:.2f} ({res.status})\n"
        f"  region:     {labels}\n"
        f"  reason:     {res.reason}"
    )


@app.command()
def locate(
    text: str | None = typer.Argument(None, help="A location as people type it."),
    file: Path | None = typer.Option(
        None, "--file", "-f", help="Resolve every non-empty line of this UTF-8 file."
    ),
    fmt: str = typer.Option("text", "--format", help="Output format: text or csv."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the result to this file instead of the screen."
    ),
    bom: bool = typer.Option(
        True, "--bom/--no-bom", help="Start a CSV file (-o) with a UTF-8 BOM, for Excel."
    ),
) -> None:
    """Resolve free-text locations to a country and region, offline, and say why.

    Ambiguous strings ("Georgia", "Kyiv -> Berlin") list their candidates instead of a
    guess; strings that name no place ("Remote", "localhost") say so. In CSV the country is
    empty when no place is named and "?" when ambiguous.

    \b
    Example:
      scout locate "Kraków, PL"
      scout locate --file places.txt --format csv -o places.csv
    """
    if fmt not in ("text", "csv"):
        raise ScoutError(f"unknown --format {fmt!r}; use text or csv")
    if (text is None) == (file is None):
        raise ScoutError("give one location, or --file with one location per line")
    if output is not None:
        check_output_path(output)
    regions = load_regions(get_state().settings.regions_file)
    lines = _read_lines(file) if file is not None else [text or ""]
    if fmt == "csv":
        result = _csv_rows(lines, regions)
    else:
        result = (
            "\n".join(_describe(line, _located(line, regions), regions) for line in lines) + "\n"
        )
    if output is not None:
        try:
            bom_first = "\ufeff" if fmt == "csv" and bom else ""
            output.write_text(bom_first + result, encoding="utf-8")
        except OSError as exc:
            raise ScoutError(f"{output}: cannot write: {exc.strerror or exc}") from exc
        console().print(f"Wrote {len(lines):,} locations to {output}", markup=False)
    elif fmt == "csv":
        sys.stdout.write(result)
    else:
        console().print(result, markup=False, end="")
