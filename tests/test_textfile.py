"""Strict text decoding of the files users hand us, and knowing guesses where one is needed."""

from __future__ import annotations

import pytest

from config.errors import ConfigError
from config.textfile import detect_encoding, guess_code_page, make_folder, read_utf8


def test_utf8_with_or_without_bom_reads_and_anything_else_is_refused(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"\xef\xbb\xbfname = 'Krak\xc3\xb3w'\n")
    assert read_utf8(path) == "name = 'Kraków'\n"
    path.write_bytes(b"x = 1\nname = 'Krak\xf3w'\n")
    with pytest.raises(ConfigError) as err:
        read_utf8(path)
    assert (
        err.value.message == f"{path}: not UTF-8 text (byte 18, line 2: b'\\xf3'); save it as UTF-8"
    )


def test_missing_file_and_folder_are_one_message(tmp_path):
    with pytest.raises(ConfigError, match=r"a.toml: config file not found$"):
        read_utf8(tmp_path / "a.toml", "config file")
    with pytest.raises(ConfigError, match=r"is a folder, not a file$"):
        read_utf8(tmp_path)


def test_detect_encoding():
    assert detect_encoding("Łukasz".encode()) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"
    western = ("José Núñez, François Gérard, Zoë Müller\n" * 20).encode("cp1252")
    assert detect_encoding(western) == "cp1252"
    assert detect_encoding(("Привет, мир. Как дела?\n" * 20).encode("cp1251")) == "cp1251"


def test_make_folder(tmp_path):
    assert make_folder(tmp_path / "a" / "b").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"is a file, not a folder$"):
        make_folder(tmp_path / "file", "--models-dir")


def test_guess_code_page_reads_what_windows_excel_saves():
    header = "rank;name;why_ranked;candidate_id;decision\r\n"
    why = "3 ML repos (pytorch), 120 stars; answers on pytorch"
    for codec, names in [
        ("cp1250", ["Łukasz Wójcik", "Paweł Woźniak", "Jakub Dąbrowski", "Zsófia Kiss"]),
        ("cp1251", ["Ірина Коваленко", "Олег Шевченко", "Анна Иванова", "John Smith"]),
        ("cp1252", ["José García", "João Gonçalves", "Jesús Muñoz", "Françoise Müller"]),
    ]:
        text = header + "".join(f"{i};{n};{why};{i};yes\r\n" for i, n in enumerate(names))
        assert guess_code_page(text.encode(codec)) == codec, codec
        for name in names[:2]:  # one name alone is enough for Cyrillic and Polish ł, ą, ź
            row = f"name;candidate_id;decision\r\n{name};1;yes\r\n"
            assert guess_code_page(row.encode(codec)) == codec, name
    # The same bytes under several names are said as cp1252; nothing fits: no guess.
    assert guess_code_page("Ana Álvarez".encode("cp1252")) == "cp1252"
    assert guess_code_page(bytes(range(128, 256))) == ""
