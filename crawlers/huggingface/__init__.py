"""crawlers/huggingface package: the Hugging Face Hub source."""
