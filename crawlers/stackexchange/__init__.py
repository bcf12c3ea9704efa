"""crawlers/stackexchange package."""
