"""The offline sandbox: a deterministic sample world and emulators of the GitHub, Stack Exchange
and Meta Kaggle APIs serving it. Not a crawler: it imports nothing from crawlers, enrich,
scoring or scout. Its world builders for tests and bench (truth_db, profile_items) write
storage's types, the only other package it imports.
"""
