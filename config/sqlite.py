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
    return _compile(pattern, escape).fullmatch(value.casefold()) is not None


@functools.lru_cache(maxsize=256)
def _compile(pattern, escape):
    parts, characters = [], iter(pattern.casefold())
    for character in characters:
        if escape and character == escape:
            parts.append(re.escape(next(characters, "")))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.DOTALL)
