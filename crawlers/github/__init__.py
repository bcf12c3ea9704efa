"""crawlers/github package."""
