"""No secret reaches logs, the database or exports: a full offline workflow, then a scan.

Distinctive fake credentials (accepted by the sandbox, which takes any token not starting with
"bad") drive every command that uses one, with JSON debug logs. Then every captured stdout and
stderr, every table of the database, every byte of every file the workflow wrote (database,
WAL, Kaggle downloads, CSV, JSON) is searched for each secret and its obvious encodings.
"""

from __future__ import annotations

import base64
import json
import re
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

from helpers import scout as run_scout
from helpers import shared_world
from typer.testing import CliRunner

from sandbox.model import SandboxOptions
from sandbox.server import SandboxServer

KAGGLE_USER = "scan-user"


def fake_secrets() -> dict[str, str]:
    # Characters that URL-encoding and base64 change, so the encoded variants differ from raw.
    tag = uuid.uuid4().hex
    return {
        "GITHUB_TOKEN": f"ghs3cret+{tag[:12]}/Tok",
        "STACKEXCHANGE_KEY": f"sek3y+{tag[12:24]}/Key(",
        "KAGGLE_KEY": f"kgk3y+{tag[20:32]}/Key=",
    }


def variants(secret: str) -> set[str]:
    """The secret as written, URL-encoded, base64-encoded, and inside HTTP basic auth."""
    out = {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}
    for raw in (secret, f"{KAGGLE_USER}:{secret}", f":{secret}", f"x-access-token:{secret}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw.encode()).decode()
            out |= {text, text.rstrip("=")}
    return out


def find_secrets(blob: bytes, secrets: dict[str, str]) -> list[str]:
    found = []
    for name, secret in secrets.items():
        for variant in variants(secret):
            if variant.encode() in blob or variant.encode("utf-16-le") in blob:
                found.append(f"{name} as {variant!r}")
    return found


def test_the_scanner_finds_every_variant_it_looks_for():
    secrets = fake_secrets()
    token = secrets["GITHUB_TOKEN"]
    assert find_secrets(b"nothing here", secrets) == []
    for variant in variants(token):
        assert find_secrets(f"Authorization: x {variant} y".encode(), secrets), variant
    assert find_secrets(f"?key={quote(secrets['STACKEXCHANGE_KEY'])}".encode(), secrets)
    basic = base64.b64encode(f"{KAGGLE_USER}:{secrets['KAGGLE_KEY']}".encode())
    assert find_secrets(b"Basic " + basic, secrets)


def has_command(name: str) -> bool:
    from scout.cli import app

    return CliRunner().invoke(app, [name, "--help"]).exit_code == 0


def dump_tables(path: Path) -> bytes:
    """Every row of every table, all columns as text."""
    lines = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                lines.append(f"{table}: " + " | ".join(str(v) for v in row))
    return "\n".join(lines).encode()


def test_no_secret_in_logs_database_or_exports(tmp_path):
    secrets = fake_secrets()
    work = tmp_path / "work"
    work.mkdir()
    db_file = work / "scout.db"
    home = tmp_path / "home"  # where the kaggle package would keep a token file
    home.mkdir()
    world = shared_world(3, 400)
    outputs: list[tuple[str, subprocess.CompletedProcess[str]]] = []
    options = SandboxOptions(rate_limit=1_000_000, search_per_minute=10_000, quota=100_000)
    with SandboxServer(world, options) as server:
        drop = ("SCOUT_", "GITHUB_", "STACKEXCHANGE_", "KAGGLE")
        env = dict(secrets)
        env.update(
            HOME=str(home),
            KAGGLE_USERNAME=KAGGLE_USER,
            SCOUT_GITHUB_API_URL=server.github_url,
            SCOUT_STACKEXCHANGE_API_URL=server.stackexchange_url,
            SCOUT_KAGGLE_API_URL=server.kaggle_url,
        )

        def scout(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
            db = f"sqlite:///{db_file}"
            result = run_scout(
                "--log-json", "-v", *args, db=db, env=env, drop=drop, cwd=work, timeout=180
            )
            outputs.append((" ".join(args), result))
            if check:
                assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
            return result

        scout("crawl", "github", "--region", "india", "--max-users", "30")
        with sqlite3.connect(db_file) as conn:
            login = conn.execute(
                "SELECT handle FROM profiles WHERE source='github' ORDER BY id LIMIT 1"
            ).fetchone()[0]
        scout("lookup", "github", login)
        scout("refresh", "github", "--stale-days", "0", "--limit", "3")
        so = scout("crawl", "stackoverflow", "--tag", "pytorch", "--tag", "mlflow", "--depth", "2")
        with sqlite3.connect(db_file) as conn:
            so_id = conn.execute(
                "SELECT external_id FROM profiles WHERE source='stackoverflow' LIMIT 1"
            ).fetchone()[0]
        scout("lookup", "stackoverflow", so_id)
        scout("crawl", "kaggle", "--download", "--dest", str(work / "meta-kaggle"))
        scout("doctor", "--json", check=False)  # Redis is not configured: may warn or fail
    scout("enrich")
    scout("rank")
    scout("shortlist", "--include-contacts", "--top", "0", "-o", str(work / "shortlist.csv"))
    if has_command("export-person"):
        scout("export-person", f"github:{login}", "--out", str(work / "person.json"))
    scout("config", "show")
    scout("status")

    # The credentials were really used: keyed quota, authenticated GraphQL, a Kaggle download.
    quota = re.search(r"quota_remaining (\d+)", so.stdout + so.stderr)
    assert quota and int(quota.group(1)) > 300, so.stdout
    assert (work / "meta-kaggle" / "Users.csv").stat().st_size > 0
    assert (work / "shortlist.csv").read_text(encoding="utf-8-sig").count("\n") > 1
    # The logs were JSON at debug level, so the scan saw everything a debug run prints.
    log_lines = [
        json.loads(line)
        for _cmd, result in outputs
        for line in result.stderr.splitlines()
        if line.startswith("{")
    ]
    assert any(entry.get("level") == "debug" for entry in log_lines)

    leaks: list[str] = []
    for command, result in outputs:
        for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
            where = f"`scout {command}` {stream}"
            leaks += [f"{where}: {f}" for f in find_secrets(text.encode(), secrets)]
    leaks += [f"table dump: {f}" for f in find_secrets(dump_tables(db_file), secrets)]
    # Every file written: database, WAL, downloads, exports, and anything left in HOME.
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {"scout.db", "shortlist.csv", "Users.csv"}
    for path in written:
        found = find_secrets(path.read_bytes(), secrets)
        leaks += [f"{path.relative_to(tmp_path)}: {f}" for f in found]
    assert not leaks, "\n".join(leaks)
