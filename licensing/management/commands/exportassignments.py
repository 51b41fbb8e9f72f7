import sys

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from licensing.exports import write_assignments_csv


class Command(BaseCommand):
    help = "Write an organization's assignments as CSV to standard output."

    def add_arguments(self, parser):
        parser.add_argument("organization", help="The organization's id or name.")

    def handle(self, *args, organization, **options):
        try:
            organization = Organization.objects.get_by_reference(organization)
        except Organization.DoesNotExist as error:
            raise CommandError(str(error)) from None
        try:
            write_assignments_csv(organization, self.stdout)
        except BrokenPipeError:
            # The reader closed the pipe early, as `| head` does; stop quietly.
            sys.stderr.close()
