"""Load the demo catalog, organizations, members and licenses into a new database."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Organization

# Fixture names, found in FIXTURE_DIRS.
FIXTURES = ["catalog", "demo"]
# Every demo user has this password. The fixtures store only its hash.
DEMO_PASSWORD = "portal-demo"
DEMO_SIGN_INS = [
    ("Administrator (Amelia Hart)", "amelia.hart@northwind.example"),
    ("Member with licenses (Lucas Moreau)", "lucas.moreau@northwind.example"),
    ("Member with PBX Account only (Noah Kim)", "noah.kim@northwind.example"),
    ("Administrator of Harbour Dental (Grace Lin)", "grace.lin@harbourdental.example"),
    ("Support staff, Django admin", "support@provider.example"),
]


class Command(BaseCommand):
    help = (
        "Load the demo catalog and the demo organizations, members and licenses "
        "when the database has no organization yet. A database that already has "
        "one is left unchanged."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Output is written after the transaction, so that a closed pipe
        # cannot roll the load back.
        with transaction.atomic():
            loaded = not Organization.objects.exists()
            if loaded:
                call_command("loaddata", *FIXTURES, verbosity=options["verbosity"])
        if loaded:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write(
                "Demo data is already present: the database has organizations, "
                "so nothing was loaded or changed."
            )

        self.stdout.write(f"Demo sign-ins, all with the password {DEMO_PASSWORD}:")
        for role, email in DEMO_SIGN_INS:
            self.stdout.write(f"  {role}: {email}")
