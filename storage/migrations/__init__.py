"""storage/migrations package."""
