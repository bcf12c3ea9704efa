"""Reading text files a user hands us: strict UTF-8, or an encoding guessed knowingly.

Settings and data files (scout.toml, regions.toml, skills.toml, jobs files) must be UTF-8 (a BOM
is allowed): anything else is refused with the file and the byte that is wrong. Data exports we
do not control (Kaggle's CSVs) may come in another encoding: `detect_encoding` names it with
charset-normalizer so the caller converts knowingly and says so, never replacing characters.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from config.errors import ConfigError

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_WESTERN = "cp1252"


def read_bytes(path: Path, what: str = "file") -> bytes:
    """The bytes of `path`; a missing file, a folder or an unreadable file is one ConfigError."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: {what} not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a folder, not a {what}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc


def decode_utf8(raw: bytes, path: Path, hint: str = "save it as UTF-8") -> str:
    """`raw` as UTF-8 text (a leading BOM dropped); other bytes are a ConfigError naming where."""
    try:
        return raw.decode(UTF8_BOM)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start}, line {line}: "
            f"{raw[exc.start : exc.start + 1]!r}); {hint}"
        ) from exc


def read_utf8(path: Path, what: str = "file") -> str:
    """The text of a settings or data file, decoded strictly as UTF-8 (BOM allowed)."""
    return decode_utf8(read_bytes(path, what), path)


def detect_encoding(sample: bytes) -> str:
    """The encoding of `sample`: utf-8-sig / utf-8 when it decodes as such, else the best guess of
    charset-normalizer (a Python codec name; "" when it has none). Single-byte code pages often
    fit equally well (no decoding errors, same chaos); among those Windows-1252, what Excel saves
    Western-European CSV in, wins, else charset-normalizer's own order."""
    if sample.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    try:
        sample.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return UTF8
    from charset_normalizer import from_bytes

    results = list(from_bytes(sample))
    if not results:
        return ""
    best = min(match.chaos for match in results)
    fitting = [codecs.lookup(m.encoding).name for m in results if m.chaos == best]
    return WINDOWS_WESTERN if WINDOWS_WESTERN in fitting else fitting[0]


def make_folder(path: Path, what: str = "folder") -> Path:
    """Create `path` (and its parents) if needed and check we can write in it: one ConfigError
    naming the path otherwise, before any work is done."""
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except FileExistsError as exc:
        raise ConfigError(f"{what} {path}: is a file, not a folder") from exc
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot write there: {exc.strerror or exc}") from exc
    return path
