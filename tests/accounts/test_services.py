import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import User
from accounts.services import (
    MemberRow,
    deactivate_member,
    delete_member,
    import_members,
    reactivate_member,
    set_administrator,
)
from licensing.models import Assignment, Event
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    SuperuserFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ADMIN = Event.Source.ADMIN
COMMAND = Event.Source.COMMAND


@pytest.fixture
def seated_member(organization):
    """A member holding three license types of the organization."""
    member = UserFactory(organization=organization)
    for _ in range(3):
        AssignmentFactory(holding__organization=organization, member=member)
    return member


def actions_of(member):
    return sorted(Event.objects.filter(member=member).values_list("action", flat=True))


# Deactivation and reactivation


def test_deactivate_releases_every_seat(seated_member, support_user):
    released = deactivate_member(
        member=seated_member, acting_user=support_user, source=ADMIN
    )

    assert released == 3
    seated_member.refresh_from_db()
    assert not seated_member.is_active
    assert not Assignment.objects.filter(member=seated_member).exists()
    assert actions_of(seated_member) == sorted(
        [Event.Action.REMOVED] * 3 + [Event.Action.MEMBER_DEACTIVATED]
    )
    deactivated = Event.objects.get(action=Event.Action.MEMBER_DEACTIVATED)
    assert deactivated.detail == "3 seats released"


def test_reactivate_restores_no_seat(seated_member, support_user):
    deactivate_member(member=seated_member, acting_user=support_user, source=ADMIN)

    reactivate_member(member=seated_member, acting_user=support_user, source=ADMIN)

    seated_member.refresh_from_db()
    assert seated_member.is_active
    assert not Assignment.objects.filter(member=seated_member).exists()
    assert Event.objects.first().action == Event.Action.MEMBER_REACTIVATED


def test_reactivating_active_member_changes_nothing(member, support_user):
    reactivate_member(member=member, acting_user=support_user, source=ADMIN)

    assert not Event.objects.exists()


def test_deactivate_denies_member(seated_member, organization):
    colleague = UserFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        deactivate_member(member=seated_member, acting_user=colleague, source=ADMIN)

    assert User.objects.get(pk=seated_member.pk).is_active
    assert Assignment.objects.filter(member=seated_member).count() == 3
    assert not Event.objects.exists()


def test_deactivate_without_user_only_from_command(seated_member):
    with pytest.raises(PermissionDenied):
        deactivate_member(member=seated_member, acting_user=None, source=ADMIN)

    released = deactivate_member(member=seated_member, acting_user=None, source=COMMAND)

    assert released == 3
    assert Event.objects.filter(actor=None).count() == 4


# Administrator role


def test_set_administrator_grants_and_revokes(member, support_user):
    granted = set_administrator(
        member=member, is_administrator=True, acting_user=support_user, source=ADMIN
    )
    assert granted
    assert User.objects.get(pk=member.pk).is_administrator

    revoked = set_administrator(
        member=member, is_administrator=False, acting_user=support_user, source=ADMIN
    )
    assert revoked
    assert not User.objects.get(pk=member.pk).is_administrator

    assert list(Event.objects.order_by("pk").values_list("action", flat=True)) == [
        Event.Action.ADMINISTRATOR_GRANTED,
        Event.Action.ADMINISTRATOR_REVOKED,
    ]


def test_set_administrator_rejects_support_staff(support_user):
    other_support = SupportUserFactory()

    with pytest.raises(PermissionDenied):
        set_administrator(
            member=other_support,
            is_administrator=True,
            acting_user=support_user,
            source=ADMIN,
        )

    assert not Event.objects.exists()


def test_set_administrator_denies_administrator(organization, member):
    # Administrators manage licenses; roles are changed by support staff.
    administrator = AdministratorFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        set_administrator(
            member=member,
            is_administrator=True,
            acting_user=administrator,
            source=Event.Source.PORTAL,
        )

    assert not User.objects.get(pk=member.pk).is_administrator


# Deletion


def test_delete_member_records_each_release(seated_member):
    superuser = SuperuserFactory()
    member_pk, email = seated_member.pk, seated_member.email

    delete_member(member=seated_member, acting_user=superuser, source=ADMIN)

    assert not User.objects.filter(pk=member_pk).exists()
    assert not Assignment.objects.filter(member_id=member_pk).exists()
    removed = Event.objects.filter(action=Event.Action.REMOVED)
    assert removed.count() == 3
    assert set(removed.values_list("member_email", flat=True)) == {email}
    assert set(removed.values_list("member_id", flat=True)) == {None}


def test_delete_member_denies_support(seated_member, support_user):
    with pytest.raises(PermissionDenied):
        delete_member(member=seated_member, acting_user=support_user, source=ADMIN)

    assert User.objects.filter(pk=seated_member.pk).exists()
    assert Assignment.objects.filter(member=seated_member).count() == 3


# Import


def test_import_creates_and_renames_members(organization):
    existing = UserFactory(
        organization=organization, email="ann.lee@example.com", full_name="Ann"
    )

    result = import_members(
        organization=organization,
        rows=[
            MemberRow("ANN.LEE@example.com", "Ann Lee", False),
            MemberRow("bo.chen@example.com", "Bo Chen", True),
        ],
        acting_user=None,
        source=COMMAND,
    )

    assert (result.created, result.renamed) == (1, 1)
    existing.refresh_from_db()
    assert existing.full_name == "Ann Lee"
    assert existing.email == "ann.lee@example.com"
    bo = User.objects.get(email="bo.chen@example.com")
    assert bo.organization == organization
    assert bo.is_administrator
    assert not bo.has_usable_password()
    assert actions_of(bo) == sorted(
        [Event.Action.MEMBER_ADDED, Event.Action.ADMINISTRATOR_GRANTED]
    )
    assert actions_of(existing) == []


def test_import_rejects_other_organization_email(organization):
    outsider = UserFactory()

    with pytest.raises(PermissionDenied):
        import_members(
            organization=organization,
            rows=[
                MemberRow("first.new@example.com", "First New", False),
                MemberRow(outsider.email.upper(), "Taken Over", True),
            ],
            acting_user=None,
            source=COMMAND,
        )

    assert not User.objects.filter(email="first.new@example.com").exists()
    outsider.refresh_from_db()
    assert outsider.full_name != "Taken Over"
    assert not Event.objects.exists()


def test_import_denies_member(organization, member):
    with pytest.raises(PermissionDenied):
        import_members(
            organization=organization,
            rows=[MemberRow("new@example.com", "New", False)],
            acting_user=member,
            source=Event.Source.PORTAL,
        )

    assert not User.objects.filter(email="new@example.com").exists()
