"""What a profile works on: skill tags from skills.toml signals, with their evidence."""
