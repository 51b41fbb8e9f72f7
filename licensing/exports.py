"""The assignments CSV, written by the download on Settings > Licenses and by
the exportassignments command."""

import csv

from accounts.models import Organization

from .models import Assignment

HEADER = ["license type", "email", "full name", "assigned by", "assigned at (UTC)"]
# A cell starting with one of these runs as a formula in spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_assignments_csv(organization: Organization, stream) -> None:
    """Write one row per assignment of the organization, by type and member."""
    writer = csv.writer(stream)
    writer.writerow(HEADER)
    assignments = (
        Assignment.objects.filter(holding__organization=organization)
        .select_related("holding__license_type", "member", "assigned_by")
        .order_by(
            "holding__license_type__position", "member__full_name", "member__email"
        )
    )
    for assignment in assignments.iterator(chunk_size=2000):
        writer.writerow(
            _neutralize(value)
            for value in [
                # English in every language, like the header, so that scripts
                # and spreadsheets read every export the same way. The
                # exportassignments command has no viewer language either.
                assignment.holding.license_type.name,
                assignment.member.email,
                assignment.member.full_name,
                assignment.assigned_by.email if assignment.assigned_by else "",
                assignment.assigned_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ]
        )


def _neutralize(value: str) -> str:
    # A leading apostrophe makes spreadsheets show the text instead of
    # evaluating it (OWASP, "CSV Injection").
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value
