"""The `scout` command: imports every command module so it registers on the app."""

from __future__ import annotations

import scout.cmd_browse
import scout.cmd_crawl
import scout.cmd_db
import scout.cmd_demo
import scout.cmd_doctor
import scout.cmd_enrich
import scout.cmd_github
import scout.cmd_github_lookup
import scout.cmd_huggingface
import scout.cmd_kaggle
import scout.cmd_locate
import scout.cmd_model
import scout.cmd_privacy
import scout.cmd_pypi
import scout.cmd_rebuild
import scout.cmd_regions
import scout.cmd_sandbox
import scout.cmd_schedule
import scout.cmd_scoring
import scout.cmd_stackoverflow
from scout.app import app


def main() -> None:
    """Entry point of the `scout` console script."""
    app()


if __name__ == "__main__":
    main()
