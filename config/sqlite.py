"""Unicode case folding for LIKE on SQLite.

SQLite's LIKE ignores letter case for ASCII letters only, so Django's
icontains and iexact would not find "Élodie" for "élodie". PostgreSQL folds
every letter. This replaces LIKE, on each new SQLite connection, with a
version that compares casefolded text.
"""

import functools
import re


def install_unicode_like(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("like", 2, _like, deterministic=True)
        connection.connection.create_function("like", 3, _like, deterministic=True)


def _like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _compile(pattern, escape)(value.casefold())


@functools.lru_cache(maxsize=256)
def _compile(pattern, escape):
    """Return a test of casefolded text against the LIKE pattern."""
    folded = pattern.casefold()
    inner = folded[1:-1]
    # icontains sends "%text%": a substring test is several times faster per
    # row than a regular expression, and the search runs it on every member.
    if (
        len(folded) >= 2
        and folded[0] == folded[-1] == "%"
        and not any(character in inner for character in ("%", "_", escape or "%"))
    ):
        return lambda value: inner in value
    parts, characters = [], iter(folded)
    for character in characters:
        if escape and character == escape:
            parts.append(re.escape(next(characters, "")))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    expression = re.compile("".join(parts), re.DOTALL)
    return lambda value: expression.fullmatch(value) is not None
