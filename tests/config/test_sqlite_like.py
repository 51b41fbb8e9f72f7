"""The casefolding LIKE that config.sqlite installs on SQLite connections."""

import pytest

from config.sqlite import _like


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("%élodie%", "Élodie Tremblay", True),
        ("%ÉLODIE%", "élodie tremblay", True),
        ("%strasse%", "Hauptstraße 1", True),
        ("%novak%", "Ana Novák", False),
        ("%%", "anything", True),
        ("ana%", "Ana Novak", True),
        ("ana%", "Diana", False),
        ("%a_a%", "Diane", False),
        ("%a_a%", "Anana", True),
        (r"%50\%%", "50% off", True),
        (r"%50\%%", "500 off", False),
        (r"%a\_b%", "a_b", True),
        (r"%a\_b%", "axb", False),
    ],
)
def test_like_matches_casefolded(pattern, value, expected):
    assert _like(pattern, value, "\\") is expected


def test_like_of_null_is_null():
    assert _like("%a%", None) is None
    assert _like(None, "a") is None
