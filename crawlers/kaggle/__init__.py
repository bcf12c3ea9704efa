"""crawlers/kaggle package."""
