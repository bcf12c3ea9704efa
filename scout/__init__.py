"""scout package."""
