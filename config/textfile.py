"""Reading text files a user hands us: strict UTF-8, or an encoding guessed knowingly.

Settings and data files (scout.toml, regions.toml, skills.toml, jobs files) must be UTF-8 (a BOM
is allowed): anything else is refused with the file and the byte that is wrong. Data exports we
do not control (Kaggle's CSVs) may come in another encoding: `detect_encoding` names it with
charset-normalizer so the caller converts knowingly and says so, never replacing characters.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from config.errors import ConfigError

if TYPE_CHECKING:
    from charset_normalizer import CharsetMatch

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
WINDOWS_WESTERN = "cp1252"
# What Excel's plain "CSV" saves in on Windows in Central Europe, Cyrillic locales and the West.
WINDOWS_CODE_PAGES = ("cp1250", "cp1251", WINDOWS_WESTERN)


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
    return decode_strict(raw, path, UTF8_BOM, hint)


def decode_strict(raw: bytes, path: Path, codec: str, hint: str) -> str:
    """`raw` decoded as `codec`, never replacing a character: a byte that does not fit is a
    ConfigError naming the file, the byte and its line, then `hint`."""
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        name = "UTF-8" if codec in (UTF8, UTF8_BOM) else codec
        raise ConfigError(
            f"{path}: not {name} text (byte {exc.start}, line {line}: "
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


def guess_code_page(sample: bytes, among: Sequence[str] = WINDOWS_CODE_PAGES) -> str:
    """The Windows code page among `among` that `sample` (not UTF-8) was most likely saved in, or
    "" when none decodes it. Each decoding charset-normalizer offers is ranked by how many of its
    words look mis-decoded (`_misread_words`), then by charset-normalizer's chaos, then
    Windows-1252 first (the same text under several names is said as cp1252). Single-byte code
    pages can be genuinely ambiguous on a few names (Czech ř is cp1252 ø): callers say which
    code page they used.
    """
    from charset_normalizer import from_bytes

    results = list(from_bytes(sample, cp_isolation=list(among)))
    if not results:
        return ""

    def names(match: CharsetMatch) -> set[str]:
        return {codecs.lookup(e).name for e in match.could_be_from_charset}

    best = min(
        results,
        key=lambda m: (_misread_words(str(m)), round(m.chaos, 2), WINDOWS_WESTERN not in names(m)),
    )
    return WINDOWS_WESTERN if WINDOWS_WESTERN in names(best) else codecs.lookup(best.encoding).name


def _misread_words(text: str) -> int:
    """Signs of text decoded with the wrong code page: a symbol glued to a letter ("D¹browski"
    is Dąbrowski read as cp1252), a capital after a small letter ("WoŸniak"), or a word of three
    or more letters that are mostly accented Latin ("Ęîâŕëĺíęî" is Коваленко read as cp1250)."""
    count = 0
    for i, ch in enumerate(text):
        if ch.isascii():
            continue
        before = text[i - 1] if i else " "
        after = text[i + 1 : i + 2] or " "
        if not ch.isalpha():
            count += before.isalpha() or after.isalpha()
        elif ch.isupper() and before.islower():
            count += 1
    for word in re.split(r"[^\w]+", text):
        letters = [c for c in word if c.isalpha()]
        accented = [c for c in letters if not c.isascii() and "LATIN" in unicodedata.name(c, "")]
        count += len(letters) >= 3 and 2 * len(accented) > len(letters)
    return count


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
