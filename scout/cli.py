"""The `scout` command: imports every command module so it registers on the app."""

from __future__ import annotations

import scout.cmd_crawl  # noqa: F401
import scout.cmd_db  # noqa: F401
import scout.cmd_enrich  # noqa: F401
import scout.cmd_github  # noqa: F401
import scout.cmd_kaggle  # noqa: F401
import scout.cmd_locate  # noqa: F401
import scout.cmd_sandbox  # noqa: F401
import scout.cmd_scoring  # noqa: F401
import scout.cmd_stackoverflow  # noqa: F401
from scout.app import app


def main() -> None:
    """Entry point of the `scout` console script."""
    app()


if __name__ == "__main__":
    main()
