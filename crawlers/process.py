"""One Scrapy CrawlerProcess per crawl, quiet: its start-up chatter never reaches our log."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import default_settings

# Scrapy 2.13+ also starts an HTTP server with an /execute endpoint for every crawl and leaves
# its token in ~/.local/state/scrapy/job_files (for good after a kill -9); no crawl of ours is
# driven that way. Off, and left out of the extensions Scrapy loads even when off, so its
# module (aiohttp's server, which makes two SSL contexts on import) is never imported.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if not path.endswith(".RemoteControl")
}


def crawler_process(scrapy: dict[str, Any]) -> CrawlerProcess:
    """A CrawlerProcess whose start-up chatter does not reach our log handler."""
    # Scrapy's LOG_LEVEL only applies to its own root handler, which we do not install: our
    # redacting handler gets Scrapy's records, so its start-up chatter (the settings, which
    # name URLs) is muted and its loggers quietened to WARNING.
    logging.disable(logging.INFO)
    try:
        process = CrawlerProcess(
            {
                "REMOTE_CONTROL_ENABLED": False,
                "EXTENSIONS_BASE": EXTENSIONS_BASE,
                **scrapy,
                "LOG_INSTALL_ROOT_HANDLER": False,
            }
        )
    finally:
        logging.disable(logging.NOTSET)
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    return process
