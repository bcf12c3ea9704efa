"""The CLI: every command documented with an example; foundation commands end to end."""

from __future__ import annotations

import click
import typer.main
from typer.testing import CliRunner

from scout.cli import app

runner = CliRunner()


def all_commands():
    root = typer.main.get_command(app)

    def walk(cmd, path):
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    return list(walk(root, []))


def test_every_command_has_help_with_an_example():
    commands = all_commands()
    assert len(commands) >= 5
    missing = []
    for path, _cmd in commands:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        if "Example" not in result.output or "scout " not in result.output.split("Example")[1]:
            missing.append(" ".join(path))
    assert not missing, f"commands without a runnable example in --help: {missing}"


def test_init_then_status_shows_tables_and_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    result = runner.invoke(app, ["--db", url, "init"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.output
    result = runner.invoke(app, ["--db", url, "status"])
    assert result.exit_code == 0, result.output
    assert "Schema revision: 0009" in result.output
    assert "Gone profiles (accounts their source no longer has): 0" in result.output
    assert "raw_records" in result.output and "No crawl runs yet" in result.output


def test_config_show_masks_secrets_and_names_sources(tmp_path, monkeypatch):
    (tmp_path / "scout.toml").write_text("retention_days = 99\n")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_abcdefghijklmnopqrstuvwxyz0123")
    monkeypatch.setenv("SCOUT_HTTP_RETRIES", "4")
    result = runner.invoke(app, ["--db", "sqlite:///flag.db", "config", "show"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") >= 3
    }
    assert "********" in lines["github_token"] and "env" in lines["github_token"]
    assert "ghp_" not in result.output
    assert "scout.toml" in lines["retention_days"] and "99" in lines["retention_days"]
    assert "env" in lines["http_retries"]
    assert "flag" in lines["db_url"]
    assert "default" in lines["log_level"]


def test_bad_input_is_one_message_and_exit_2(tmp_path, monkeypatch):
    (tmp_path / "scout.toml").write_text("nonsense_key = 1\n")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert "nonsense_key" in result.output and "Traceback" not in result.output
    (tmp_path / "scout.toml").unlink()
    result = runner.invoke(app, ["--db", "postgresql+psycopg://u:pw@127.0.0.1:1/x", "status"])
    assert result.exit_code == 2 and "cannot reach the database" in result.output
    result = runner.invoke(app, ["--config", "missing.toml", "status"])
    assert result.exit_code == 2


def test_db_upgrade_and_downgrade_commands(tmp_path):
    url = f"sqlite:///{tmp_path / 'b.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["--db", url, "db", "downgrade", "base"])
    assert result.exit_code == 0 and "base" in result.output
    # with auto-upgrade off, an old database is named, not silently used
    result = runner.invoke(app, ["--db", url, "status"], env={"SCOUT_AUTO_UPGRADE": "false"})
    assert result.exit_code == 2 and "scout db upgrade" in result.output
