"""PyPI maintainers of ML/MLOps packages (issue 19): parse, client, spider, middlewares, run."""
