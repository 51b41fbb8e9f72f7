"""Checking a members file before anything is imported."""

import csv
import io
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

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
        return f"line {self.line}: {self.reason}"


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
                "the file is empty; the first line must name the "
                "columns email, full name, administrator",
            )
        ]
    columns = [name.strip().lower().replace("_", " ") for name in header]
    problems = (
        [f"unknown column “{name}”" for name in columns if name not in COLUMNS]
        + [f"missing column “{name}”" for name in COLUMNS if name not in columns]
        + [
            f"column “{name}” appears {columns.count(name)} times"
            for name in COLUMNS
            if columns.count(name) > 1
        ]
    )
    if problems:
        expected = ", ".join(COLUMNS)
        return [], [BadRow(1, f"{'; '.join(problems)}; expected {expected}")]

    rows, bad_rows, first_line_of = [], [], {}
    end_of_previous = reader.line_num
    for values in reader:
        # A quoted field may span lines: a row is named by its first line.
        line, end_of_previous = end_of_previous + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(columns):
            bad_rows.append(
                BadRow(line, f"{len(values)} fields, expected {len(columns)}")
            )
            continue
        if any("\x00" in value for value in values):
            bad_rows.append(BadRow(line, "contains a NUL character"))
            continue
        fields = dict(zip(columns, (value.strip() for value in values), strict=True))
        row, reasons = _check_fields(fields)
        key = fields["email"].lower()
        if key in first_line_of:
            reasons.append(
                f"email “{fields['email']}” repeats line {first_line_of[key]} "
                "(emails match regardless of letter case)"
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
        reasons.append(f"invalid email “{fields['email']}”")
    else:
        if len(fields["email"]) > EMAIL_MAX_LENGTH:
            reasons.append(
                f"email longer than {EMAIL_MAX_LENGTH} characters "
                f"({len(fields['email'])})"
            )
    full_name = fields["full name"]
    if not _visible(full_name):
        reasons.append("empty full name")
    elif any(unicodedata.category(character) == "Cc" for character in full_name):
        reasons.append("full name contains a line break or control character")
    elif len(full_name) > FULL_NAME_MAX_LENGTH:
        reasons.append(f"full name longer than {FULL_NAME_MAX_LENGTH} characters")
    answer = fields["administrator"].lower()
    if answer not in ANSWERS:
        reasons.append(
            f"administrator must be yes or no, not “{fields['administrator']}”"
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
        BadRow(line, f"“{row.email}” belongs to a user outside {organization}")
        for line, row in rows
        if row.email.lower() in taken
    ]
