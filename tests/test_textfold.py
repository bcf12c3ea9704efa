"""Folding text to the key form place names are stored and compared in."""

from enrich.textfold import fold, translit


def test_folding():
    assert fold("Kraków") == fold("Krakow") == "krakow"
    assert fold("Łódź") == "lodz"
    assert fold("  São   Paulo ") == "sao paulo"
    assert fold("Київ") == "київ"


def test_other_scripts_get_a_transliteration_as_a_second_chance():
    assert translit("Москва") == "moskva" and translit("Αθήνα") == "athina"
    assert translit("L'Aquila") == "l aquila"
