"""crawlers/process.py: the one CrawlerProcess every crawl runs in."""

from __future__ import annotations

from crawlers.process import crawler_process


def test_no_crawl_opens_scrapys_remote_control_server():
    # Scrapy's RemoteControl would listen on loopback with an /execute endpoint and leave its
    # token in ~/.local/state/scrapy/job_files; the crawl's own settings are kept.
    process = crawler_process({"CONCURRENT_REQUESTS": 3})
    assert process.settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert not any("RemoteControl" in path for path in process.settings.getwithbase("EXTENSIONS"))
    assert process.settings.getbool("LOG_INSTALL_ROOT_HANDLER") is False
    assert process.settings.getint("CONCURRENT_REQUESTS") == 3
