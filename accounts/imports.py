"""Checking a members file before anything is imported.

The column names and the values yes and no are part of the file format, so
they stay in English in every language. The error messages are translated.
"""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Organization, User
from .services import MemberRow

COLUMNS = ("email", "full name", "administrator")
FULL_NAME_MAX_LENGTH = User._meta.get_field("full_name").max_length
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
ANSWERS = {"yes": True, "no": False}


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str

    def __str__(self):
        return _("line %(line)s: %(reason)s") % {
            "line": self.line,
            "reason": self.reason,
        }


def read_members_csv(
    text: str, organization: Organization
) -> tuple[list[MemberRow], list[BadRow]]:
    """Check every row of a members CSV and return the good rows and the bad ones.

    The header names the columns email, full name and administrator (yes or
    no), in any order and letter case. Emails are compared regardless of
    letter case, within the file and against existing users.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return [], [
            BadRow(
                1,
                _(
                    "the file is empty; the first line must name the columns "
                    "email, full name, administrator"
                ),
            )
        ]
    columns = [name.strip().lower().replace("_", " ") for name in header]
    problems = (
        [
            _("unknown column “%(name)s”") % {"name": name}
            for name in columns
            if name not in COLUMNS
        ]
        + [
            _("missing column “%(name)s”") % {"name": name}
            for name in COLUMNS
            if name not in columns
        ]
        + [
            _("column “%(name)s” appears %(count)s times")
            % {"name": name, "count": columns.count(name)}
            for name in COLUMNS
            if columns.count(name) > 1
        ]
    )
    if problems:
        message = _("%(problems)s; expected %(expected)s") % {
            "problems": "; ".join(problems),
            "expected": ", ".join(COLUMNS),
        }
        return [], [BadRow(1, message)]

    rows, bad_rows, first_line_of = [], [], {}
    end_of_previous = reader.line_num
    for values in reader:
        # A quoted field may span lines: a row is named by its first line.
        line, end_of_previous = end_of_previous + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(columns):
            message = ngettext(
                "%(count)s field, expected %(expected)s",
                "%(count)s fields, expected %(expected)s",
                len(values),
            ) % {"count": len(values), "expected": len(columns)}
            bad_rows.append(BadRow(line, message))
            continue
        if any("\x00" in value for value in values):
            bad_rows.append(BadRow(line, _("contains a NUL character")))
            continue
        fields = dict(zip(columns, (value.strip() for value in values), strict=True))
        row, reasons = _check_fields(fields)
        key = fields["email"].lower()
        if key in first_line_of:
            reasons.append(
                _(
                    "email “%(email)s” repeats line %(line)s (emails match "
                    "regardless of letter case)"
                )
                % {"email": fields["email"], "line": first_line_of[key]}
            )
        else:
            first_line_of[key] = line
        if reasons:
            bad_rows.append(BadRow(line, "; ".join(reasons)))
        else:
            rows.append((line, row))

    bad_rows += _check_other_organizations(rows, organization)
    bad_rows.sort(key=lambda bad_row: bad_row.line)
    return [row for _, row in rows], bad_rows


def _check_fields(fields: dict[str, str]) -> tuple[MemberRow | None, list[str]]:
    reasons = []
    try:
        validate_email(fields["email"])
    except ValidationError:
        reasons.append(_("invalid email “%(email)s”") % {"email": fields["email"]})
    else:
        if len(fields["email"]) > EMAIL_MAX_LENGTH:
            reasons.append(
                _("email longer than %(max)s characters (%(length)s)")
                % {"max": EMAIL_MAX_LENGTH, "length": len(fields["email"])}
            )
    full_name = fields["full name"]
    if not _visible(full_name):
        reasons.append(_("empty full name"))
    elif any(unicodedata.category(character) == "Cc" for character in full_name):
        reasons.append(_("full name contains a line break or control character"))
    elif len(full_name) > FULL_NAME_MAX_LENGTH:
        reasons.append(
            _("full name longer than %(max)s characters")
            % {"max": FULL_NAME_MAX_LENGTH}
        )
    answer = fields["administrator"].lower()
    if answer not in ANSWERS:
        reasons.append(
            _("administrator must be yes or no, not “%(answer)s”")
            % {"answer": fields["administrator"]}
        )
    if reasons:
        return None, reasons
    return MemberRow(fields["email"], full_name, ANSWERS[answer]), []


def _visible(text: str) -> str:
    # Format characters such as the zero-width space show nothing.
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def _check_other_organizations(rows, organization) -> list[BadRow]:
    taken = set(
        User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=[row.email.lower() for _, row in rows])
        .exclude(organization=organization)
        .values_list("email_lower", flat=True)
    )
    return [
        BadRow(
            line,
            _("“%(email)s” belongs to a user outside %(organization)s")
            % {"email": row.email, "organization": organization},
        )
        for line, row in rows
        if row.email.lower() in taken
    ]
