"""`scout crawl huggingface`: authors of Hugging Face Hub models, datasets and Spaces."""

from __future__ import annotations

import os

import typer

from config.errors import ScoutError
from scout.app import console, get_state
from scout.cmd_crawl import crawl_app
from scout.runs import count, crawl_command


@crawl_app.command("huggingface")
def crawl_huggingface(
    pipeline_tag: list[str] = typer.Option(
        None,
        "--pipeline-tag",
        help="Hub task to discover authors by, e.g. text-generation (repeatable; default: "
        "text-generation, text-classification, automatic-speech-recognition).",
    ),
    library: list[str] = typer.Option(
        None,
        "--library",
        help="Model library to discover authors by, e.g. transformers (repeatable; default: "
        "transformers, sentence-transformers).",
    ),
    sort: list[str] = typer.Option(
        None, "--sort", help="downloads, likes or recent (repeatable; default downloads)."
    ),
    max_users: int | None = typer.Option(
        None, "--max-users", min=1, help="Stop after storing this many profiles."
    ),
    budget: int | None = typer.Option(
        None,
        "--budget",
        min=1,
        help="Stop cleanly after this many requests; the next --resume continues there.",
    ),
    resume: bool = typer.Option(
        False, "--resume", help="Continue each listing where the last run stopped."
    ),
    api_url: str | None = typer.Option(
        None,
        "--api-url",
        envvar="SCOUT_HUGGINGFACE_API_URL",
        help="Hub endpoint (default HF_ENDPOINT or https://huggingface.co; the sandbox: "
        "http://127.0.0.1:8765/huggingface).",
    ),
) -> None:
    """Crawl Hugging Face Hub authors: what they publish, downloads, likes, tasks, libraries.

    Lists models by pipeline tag and library, datasets and Spaces by task, in each --sort
    order, page by page; skips organisations; an author already stored with nothing modified
    since costs no request. Each new or changed author costs their overview and one listing
    per kind they publish. Rate limits (429 Retry-After) are waited out by the
    huggingface_hub client.

    \b
    Example:
      scout crawl huggingface --pipeline-tag text-generation --sort downloads --sort recent
      scout crawl huggingface --library diffusers --max-users 500 --resume
      scout crawl huggingface --api-url http://127.0.0.1:8765/huggingface
    """
    from crawlers.huggingface.run import DEFAULT_ENDPOINT, SORT_ORDERS, HubOptions, run_crawl

    sorts = list(dict.fromkeys(sort or ["downloads"]))
    wrong = [s for s in sorts if s not in SORT_ORDERS]
    if wrong:
        raise ScoutError(f"--sort must be one of {', '.join(SORT_ORDERS)}, not {wrong[0]!r}")
    options = HubOptions(sorts=sorts, max_users=max_users, budget=budget, resume=resume)
    if pipeline_tag:
        options.pipeline_tags = list(dict.fromkeys(pipeline_tag))
    if library:
        options.libraries = list(dict.fromkeys(library))
    options.endpoint = api_url or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    state = get_state()
    settings = state.settings
    engine = state.engine()
    with crawl_command(engine) as command:
        result = run_crawl(engine, settings, options)
    stats = result.stats
    console().print(
        f"Hugging Face: skipped {count(stats, 'skipped_orgs'):,} organisations, "
        f"{count(stats, 'suppressed'):,} suppressed, {count(stats, 'missing'):,} missing; "
        f"rate limited {count(stats, 'rate_limited'):,} times"
    )
    if result.message:
        console().print(f"Stopped: {result.message}.")
    command.exit(result.status)
