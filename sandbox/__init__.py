"""The offline sandbox: a deterministic sample world and emulators of the GitHub, Stack Exchange
and Meta Kaggle APIs serving it. Not a crawler: it imports nothing from crawlers, enrich,
scoring or scout (storage only in truth_db, which stores a world's truth for tests and bench).
"""
