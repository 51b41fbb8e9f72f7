from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.imports import read_members_csv
from accounts.models import Organization
from accounts.services import import_members
from licensing.models import Event


class Command(BaseCommand):
    help = (
        "Create or update an organization's members from a CSV file with the "
        "columns email, full name and administrator (yes or no). Every row is "
        "checked first; when any row is bad, each one is reported by line number "
        "and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("organization", help="The organization's id or name.")
        parser.add_argument("file", type=Path, help="Path of the CSV file.")

    def handle(self, *args, organization, file, **options):
        try:
            organization = Organization.objects.get_by_reference(organization)
        except Organization.DoesNotExist as error:
            raise CommandError(str(error)) from None
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise CommandError(f"File {file} not found.") from None
        except UnicodeDecodeError:
            raise CommandError(
                f"{file} is not UTF-8 text. Save it as CSV UTF-8 and try again."
            ) from None
        except OSError as error:
            raise CommandError(f"Could not read {file}: {error.strerror}.") from None

        rows, bad_rows = read_members_csv(text, organization)
        if bad_rows:
            for bad_row in bad_rows:
                self.stderr.write(f"{file}, {bad_row}")
            raise CommandError(
                f"{len(bad_rows)} bad row{'s' if len(bad_rows) != 1 else ''}; "
                "nothing was imported. Fix them and run the command again."
            )
        try:
            result = import_members(
                organization=organization,
                rows=rows,
                acting_user=None,
                source=Event.Source.COMMAND,
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Imported {len(rows)} rows into {organization}: "
            f"{result.created} created, {result.renamed} renamed, administrator "
            f"role granted to {result.administrators_granted} and revoked from "
            f"{result.administrators_revoked}."
        )
