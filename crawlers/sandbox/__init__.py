"""crawlers/sandbox package."""
