"""factory-boy factories for the accounts and licensing models.

The factories write rows directly and bypass `licensing.services`, so
assignments made here write no history event. Tests use them to build the
state before the action under test.
"""

import factory
from django.contrib.auth.models import Permission
from django.utils.text import slugify
from factory.django import DjangoModelFactory, Password

from accounts.models import Organization, User
from licensing.groups import ADMINISTRATORS, SUPPORT, ensure_groups
from licensing.models import Assignment, Event, Holding, LicenseType

# Every user the factories create signs in with this password.
PASSWORD = "correct-horse-battery-staple"

# The groups that migration licensing 0005 creates. ensure_groups() creates
# them again after a transactional test's flush has deleted them.
ADMINISTRATORS_GROUP = ADMINISTRATORS

SEAT_PERMISSIONS = ["add_assignment", "delete_assignment"]


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Faker("company")
    region = "CA"


class UserFactory(DjangoModelFactory):
    """An active member of an organization, without the administrator permission."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    full_name = factory.Faker("name")
    # The sequence number keeps addresses unique when Faker repeats a name.
    email = factory.LazyAttributeSequence(
        lambda user, n: f"{slugify(user.full_name) or 'user'}.{n}@example.com"
    )
    organization = factory.SubFactory(OrganizationFactory)
    password = Password(PASSWORD)


class AdministratorFactory(UserFactory):
    """A member of the "Administrators" group of their organization."""

    @factory.post_generation
    def administrators_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(ensure_groups()[ADMINISTRATORS_GROUP])


class SupportStaffFactory(UserFactory):
    """A provider employee: staff status and no organization.

    The user gets the add and delete permissions on assignments, or the
    licensing codenames passed as `permissions=[...]` (an empty list grants none).
    """

    organization = None
    is_staff = True

    @factory.post_generation
    def permissions(user, create, extracted, **kwargs):
        if not create:
            return
        codenames = SEAT_PERMISSIONS if extracted is None else extracted
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="licensing", codename__in=codenames
            )
        )


class LicenseTypeFactory(DjangoModelFactory):
    class Meta:
        model = LicenseType
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"License type {n}")
    slug = factory.Sequence(lambda n: f"license-type-{n}")
    summary = factory.Faker("sentence", nb_words=6)
    description = factory.Faker("paragraph", nb_sentences=2)
    features = "First feature\nSecond feature"
    is_automatic = False
    position = factory.Sequence(lambda n: 10 + n)


class AutomaticLicenseTypeFactory(LicenseTypeFactory):
    """A type every member has without an assignment, such as PBX Account."""

    name = factory.Sequence(lambda n: f"PBX Account {n}")
    slug = factory.Sequence(lambda n: f"pbx-account-{n}")
    is_automatic = True
    position = 0


class HoldingFactory(DjangoModelFactory):
    class Meta:
        model = Holding

    organization = factory.SubFactory(OrganizationFactory)
    license_type = factory.SubFactory(LicenseTypeFactory)
    quantity = 10


class AssignmentFactory(DjangoModelFactory):
    """A seat given to a member of the holding's organization."""

    class Meta:
        model = Assignment

    holding = factory.SubFactory(HoldingFactory)
    member = factory.SubFactory(
        UserFactory, organization=factory.SelfAttribute("..holding.organization")
    )
    assigned_by = None


# The group that migration licensing 0005 creates for the provider's support
# staff: view everything, change members, holdings and assignments.
SUPPORT_GROUP = SUPPORT


class SupportUserFactory(UserFactory):
    """A provider employee with staff status in the "Support" group."""

    organization = None
    is_staff = True

    @factory.post_generation
    def support_group(user, create, extracted, **kwargs):
        if create:
            user.groups.add(ensure_groups()[SUPPORT_GROUP])


class SuperuserFactory(UserFactory):
    organization = None
    is_staff = True
    is_superuser = True


class EventFactory(DjangoModelFactory):
    """A history event written directly, as the services would write it."""

    class Meta:
        model = Event

    organization = factory.SubFactory(OrganizationFactory)
    action = Event.Action.ASSIGNED
    source = Event.Source.PORTAL
    license_type = factory.SubFactory(LicenseTypeFactory)
    license_name = factory.LazyAttribute(
        lambda event: event.license_type.name if event.license_type else ""
    )
    member = factory.SubFactory(
        UserFactory, organization=factory.SelfAttribute("..organization")
    )
    member_email = factory.LazyAttribute(
        lambda event: event.member.email if event.member else ""
    )
    actor = None
    actor_email = ""
