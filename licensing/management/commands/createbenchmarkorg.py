"""Create one organization of a given size for the benchmark in bench/run.py."""

import random
import unicodedata
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from licensing.models import Assignment, Event, Holding, LicenseType

# Given and family names from many languages, combined at random. The split
# string keeps the lists short to read.
FIRST_NAMES = (  # noqa: SIM905
    "Amelia Lucas Noah Grace Olivia Liam Sofia Mateo Aisha Omar Chloé Hugo Zoë "
    "Mia Ethan Priya Arjun Mei Wei Yuki Haruto Fatima Youssef Ingrid Lars Søren "
    "Elena Marco Giulia Luca Ana José María Carlos Nadia Ivan Olga Dmitri Kofi "
    "Ama Chinedu Ngozi Leila Reza Hana Minh Linh Tomás Inés Björn Astrid Saoirse "
    "Seán Kai Leilani Rafael Beatriz Jonas Emma"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Hart Moreau Kim Lin Smith Johnson Williams Brown García Martínez Rodríguez "
    "López Nguyen Tran Pham Chen Wang Li Zhang Tanaka Sato Suzuki Patel Shah Singh "
    "Khan Ahmed Hassan Müller Schmidt Schneider Fischer Rossi Russo Bianchi Dubois "
    "Lefèvre Novak Kowalski Nowak Ivanova Petrov Okafor Mensah Mwangi Haddad "
    "Karimi Andersson Johansson Nielsen O'Brien Murphy Silva Santos Costa "
    "Oliveira Cohen Levi Yilmaz Demir"
).split()

# Share of the members who hold each non-automatic type, by catalog slug. The
# holding of UNLIMITED_SLUG has no quantity, so the benchmark's assign requests
# never run out of seats. Every other holding has 10% spare seats. No other
# catalog type includes AI Assistant, so assigning it is never redundant.
ASSIGNED_SHARES = {
    "huddle": 0.08,
    "rcon": 0.02,
    "virtual-fax": 0.10,
    "call-queue-agent": 0.15,
    "call-queue-supervisor": 0.02,
    "professional": 0.55,
    "ultimate": 0.25,
    "ai-assistant": 0.10,
}
UNLIMITED_SLUG = "ai-assistant"
REGION = "CA"
ADMINISTRATORS_GROUP = "Administrators"
BATCH_SIZE = 1000
# The holdings were bought this long ago, and each assignment was made at a
# random time since, with its history event, as licensing.services records it.
HISTORY = timedelta(days=365)


def ascii_slug(text: str) -> str:
    """Return the lower-case ASCII letters of a name, for an email address."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).lower()


class Command(BaseCommand):
    help = (
        "Create one organization with MEMBERS members, ADMINISTRATORS of them in "
        "the Administrators group, a holding of every non-automatic catalog type "
        "and assignments for a share of the members, with a year of history "
        "events, all with bulk inserts. Loads the catalog fixture first when the "
        "catalog is empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--members", type=int, required=True, help="Members to create (1 or more)."
        )
        parser.add_argument(
            "--administrators",
            type=int,
            default=32,
            help="How many of the members are administrators (default 32, at most "
            "MEMBERS).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Seed of the names and assignments."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size: int = options["members"]
        administrators: int = options["administrators"]
        if size < 1:
            raise CommandError(f"--members must be 1 or more, not {size}.")
        if not 0 <= administrators <= size:
            raise CommandError(
                f"--administrators must be between 0 and --members ({size}), "
                f"not {administrators}."
            )
        if not LicenseType.objects.exists():
            call_command("loaddata", "catalog", verbosity=0)
        randomness = random.Random(options["seed"])

        with transaction.atomic():
            organization = Organization.objects.create(
                name=f"Benchmark, {size:,} members", region=REGION
            )
            members = self.create_members(organization, size, randomness)
            group = Group.objects.get(name=ADMINISTRATORS_GROUP)
            User.groups.through.objects.bulk_create(
                User.groups.through(user_id=member.pk, group_id=group.pk)
                for member in members[:administrators]
            )
            unlimited = self.create_holdings(organization, members, randomness)

        self.stdout.write(
            f"Created organization {organization.pk} ({organization.name}) with "
            f"{size} members, {administrators} of them administrators, and "
            f"{Assignment.objects.filter(holding__organization=organization).count()}"
            " assignments."
        )
        self.stdout.write(f"organization id: {organization.pk}")
        self.stdout.write(f"unlimited holding id: {unlimited.pk}")

    def create_members(
        self, organization: Organization, size: int, randomness: random.Random
    ) -> list[User]:
        members = []
        for number in range(size):
            first = randomness.choice(FIRST_NAMES)
            last = randomness.choice(LAST_NAMES)
            email = (
                f"{ascii_slug(first)}.{ascii_slug(last)}.{number}"
                f"@org{organization.pk}.example"
            )
            members.append(
                User(
                    email=email,
                    full_name=f"{first} {last}",
                    organization=organization,
                    password=make_password(None),
                )
            )
        # bulk_create sets the primary keys on PostgreSQL and on SQLite 3.35 or
        # newer, which support RETURNING.
        return User.objects.bulk_create(members, batch_size=BATCH_SIZE)

    def create_holdings(
        self, organization: Organization, members: list[User], randomness: random.Random
    ) -> Holding:
        """Create the holdings, assignments and events; return the unlimited holding.

        The organization holds every non-automatic type sold in its region and
        joins the rollout of those that are still being rolled out, so that
        every card is usable.
        """
        unlimited = None
        assignments, events = [], []
        now = timezone.now()
        for license_type in LicenseType.objects.filter(is_automatic=False):
            if license_type.regions and organization.region not in license_type.regions:
                continue
            if license_type.requires_rollout:
                license_type.rollout_organizations.add(organization)
            share = ASSIGNED_SHARES.get(license_type.slug, 0.05)
            holders = randomness.sample(members, round(share * len(members)))
            is_unlimited = license_type.slug == UNLIMITED_SLUG
            holding = Holding.objects.create(
                organization=organization,
                license_type=license_type,
                quantity=None if is_unlimited else len(holders) + len(holders) // 10,
            )
            if is_unlimited:
                unlimited = holding
            events.append(
                Event(
                    organization=organization,
                    action=Event.Action.HOLDING_ADDED,
                    source=Event.Source.COMMAND,
                    license_type=license_type,
                    license_name=license_type.name,
                    quantity_after=holding.quantity,
                    occurred_at=now - HISTORY,
                )
            )
            for member in holders:
                assigned_at = now - HISTORY * randomness.random()
                assignments.append(
                    Assignment(holding=holding, member=member, assigned_at=assigned_at)
                )
                events.append(
                    Event(
                        organization=organization,
                        action=Event.Action.ASSIGNED,
                        source=Event.Source.COMMAND,
                        license_type=license_type,
                        license_name=license_type.name,
                        member=member,
                        member_email=member.email,
                        occurred_at=assigned_at,
                    )
                )
        if unlimited is None:
            raise CommandError(
                f"The catalog has no license type “{UNLIMITED_SLUG}” sold in "
                f"{REGION}, which the benchmark assigns. Load the catalog fixture "
                "into an empty database."
            )
        Assignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
        Event.objects.bulk_create(events, batch_size=BATCH_SIZE)
        return unlimited
