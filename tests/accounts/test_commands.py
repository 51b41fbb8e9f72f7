from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from licensing.models import Event
from tests.factories import (
    AdministratorFactory,
    OrganizationFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "email,full name,administrator\n"
GOOD_ROWS = "ann.lee@example.com,Ann Lee,yes\nbo.chen@example.com,Bo Chen,no\n"


@pytest.fixture
def organization():
    return OrganizationFactory(name="Northwind Traders")


def write_csv(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "members.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run_import(reference, path):
    """Run importmembers; return its output, error output and CommandError."""
    stdout, stderr = StringIO(), StringIO()
    error = None
    try:
        call_command(
            "importmembers", str(reference), str(path), stdout=stdout, stderr=stderr
        )
    except CommandError as raised:
        error = raised
    return stdout.getvalue(), stderr.getvalue(), error


def snapshot():
    """Return every user's email, name, organization and role, and the events."""
    users = {
        (user.email, user.full_name, user.organization_id, user.is_administrator)
        for user in User.objects.all()
    }
    return users, Event.objects.count()


# Good files


def test_import_creates_members_and_administrators(tmp_path, organization):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    stdout, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr
    assert stderr == ""
    assert "Imported 2 rows into Northwind Traders: 2 created, 0 renamed," in stdout
    ann = User.objects.get(email="ann.lee@example.com")
    bo = User.objects.get(email="bo.chen@example.com")
    assert ann.organization == organization
    assert ann.full_name == "Ann Lee"
    assert ann.is_administrator
    assert not bo.is_administrator
    events = Event.objects.filter(organization=organization)
    assert sorted(events.values_list("action", "member_email")) == sorted(
        [
            (Event.Action.MEMBER_ADDED, "ann.lee@example.com"),
            (Event.Action.MEMBER_ADDED, "bo.chen@example.com"),
            (Event.Action.ADMINISTRATOR_GRANTED, "ann.lee@example.com"),
        ]
    )
    assert set(events.values_list("source", flat=True)) == {Event.Source.COMMAND}
    assert set(events.values_list("actor_id", flat=True)) == {None}


def test_import_updates_name_of_existing_email(tmp_path, organization):
    existing = UserFactory(
        organization=organization, email="ann.lee@example.com", full_name="Ann"
    )
    path = write_csv(tmp_path, HEADER + "ANN.Lee@Example.com,Ann Lee,no\n")

    stdout, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr
    assert "0 created, 1 renamed" in stdout
    assert User.objects.filter(email__iexact="ann.lee@example.com").count() == 1
    existing.refresh_from_db()
    assert existing.full_name == "Ann Lee"
    assert not Event.objects.exists()


def test_import_revokes_administrator_marked_no(tmp_path, organization):
    administrator = AdministratorFactory(
        organization=organization, email="ann.lee@example.com", full_name="Ann Lee"
    )
    path = write_csv(tmp_path, HEADER + "ann.lee@example.com,Ann Lee,no\n")

    _, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr

    assert not User.objects.get(pk=administrator.pk).is_administrator
    assert Event.objects.get().action == Event.Action.ADMINISTRATOR_REVOKED


def test_import_accepts_columns_in_any_order_and_case(tmp_path, organization):
    text = "Administrator, FULL_NAME ,Email\r\nYES,Ann Lee,ann.lee@example.com\r\n"
    path = write_csv(tmp_path, text)

    _, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr

    ann = User.objects.get(email="ann.lee@example.com")
    assert ann.full_name == "Ann Lee"
    assert ann.is_administrator


def test_import_reads_byte_order_mark(tmp_path, organization):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS, encoding="utf-8-sig")

    _, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr

    assert User.objects.filter(organization=organization).count() == 2


def test_import_skips_blank_lines(tmp_path, organization):
    path = write_csv(tmp_path, HEADER + "\n,,\n" + GOOD_ROWS + "\n")

    _, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr

    assert User.objects.filter(organization=organization).count() == 2


def test_import_header_only_imports_nothing(tmp_path, organization):
    path = write_csv(tmp_path, HEADER)

    stdout, stderr, error = run_import(organization.pk, path)

    assert error is None, stderr
    assert "Imported 0 rows" in stdout
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "reference", ["Northwind Traders", "northwind traders", "  NORTHWIND TRADERS "]
)
def test_import_finds_organization_by_name(tmp_path, organization, reference):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    _, _, error = run_import(reference, path)

    assert error is None, error
    assert User.objects.filter(organization=organization).count() == 2


def test_import_finds_organization_by_id(tmp_path, organization):
    OrganizationFactory(name="Other")
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    _, _, error = run_import(f" {organization.pk} ", path)

    assert error is None, error

    assert User.objects.filter(organization=organization).count() == 2


# Bad files: every bad row is reported and nothing is imported


BAD_FILES = {
    "unknown column": (
        "email,full name,administrator,phone\nann.lee@example.com,Ann Lee,no,555\n",
        ["line 1: unknown column “phone”; expected email, full name, administrator"],
    ),
    "missing column": (
        "email,full name\nann.lee@example.com,Ann Lee\n",
        ["line 1: missing column “administrator”"],
    ),
    "bad email": (
        HEADER + GOOD_ROWS + "not-an-email,Cy Diaz,no\n",
        ["line 4: invalid email “not-an-email”"],
    ),
    "exact duplicate email": (
        HEADER + GOOD_ROWS + "ann.lee@example.com,Ann Again,no\n",
        ["line 4: email “ann.lee@example.com” repeats line 2"],
    ),
    "duplicate email in other case": (
        HEADER + GOOD_ROWS + "ANN.LEE@example.com,Ann Again,no\n",
        ["line 4: email “ANN.LEE@example.com” repeats line 2"],
    ),
    "empty name": (
        HEADER + GOOD_ROWS + "cy.diaz@example.com,  ,no\n",
        ["line 4: empty full name"],
    ),
    "name too long": (
        HEADER + GOOD_ROWS + f"cy.diaz@example.com,{'x' * 151},no\n",
        ["line 4: full name longer than 150 characters"],
    ),
    "administrator maybe": (
        HEADER + GOOD_ROWS + "cy.diaz@example.com,Cy Diaz,maybe\n",
        ["line 4: administrator must be yes or no, not “maybe”"],
    ),
    "too many fields": (
        HEADER + GOOD_ROWS + "cy.diaz@example.com,Cy,Diaz,no\n",
        ["line 4: 4 fields, expected 3"],
    ),
    "too few fields": (
        HEADER + GOOD_ROWS + "cy.diaz@example.com,Cy Diaz\n",
        ["line 4: 2 fields, expected 3"],
    ),
    "empty file": (
        "",
        ["line 1: the file is empty"],
    ),
    "several bad rows": (
        HEADER + "bad,Ann Lee,no\nbo.chen@example.com,,maybe\ncy@example.com,Cy\n",
        [
            "line 2: invalid email “bad”",
            "line 3: empty full name; administrator must be yes or no, not “maybe”",
            "line 4: 2 fields, expected 3",
        ],
    ),
}


@pytest.mark.parametrize(
    ("text", "expected_lines"), BAD_FILES.values(), ids=BAD_FILES.keys()
)
def test_import_rejects_bad_file(tmp_path, organization, text, expected_lines):
    before = snapshot()
    path = write_csv(tmp_path, text)

    _, stderr, error = run_import(organization.pk, path)

    assert error is not None
    assert "nothing was imported" in str(error)
    assert f"{len(expected_lines)} bad row" in str(error)
    printed = stderr.splitlines()
    assert len(printed) == len(expected_lines), stderr
    for line, expected in zip(printed, expected_lines, strict=True):
        assert line.startswith(f"{path}, {expected}"), line
    assert snapshot() == before


@pytest.mark.parametrize(
    "owner", ["other organization", "support staff"], ids=["member", "support"]
)
def test_import_rejects_email_of_user_outside_organization(
    tmp_path, organization, owner
):
    if owner == "support staff":
        outsider = SupportUserFactory(email="taken@example.com")
    else:
        outsider = UserFactory(email="taken@example.com")
    path = write_csv(tmp_path, HEADER + GOOD_ROWS + "TAKEN@example.com,Taken,yes\n")
    before = snapshot()

    _, stderr, error = run_import(organization.pk, path)

    assert error is not None
    assert stderr.splitlines() == [
        f"{path}, line 4: “TAKEN@example.com” belongs to a user outside "
        "Northwind Traders"
    ]
    assert snapshot() == before
    outsider.refresh_from_db()
    assert outsider.full_name != "Taken"


def test_import_rejects_non_utf8_file(tmp_path, organization):
    path = write_csv(tmp_path, HEADER + "rene@example.com,René Roy,no\n", "latin-1")

    _, _, error = run_import(organization.pk, path)

    assert "is not UTF-8 text" in str(error)

    assert not User.objects.exists()


def test_import_rejects_missing_file(tmp_path, organization):
    path = tmp_path / "absent.csv"

    _, _, error = run_import(organization.pk, path)

    assert str(error) == f"File {path} not found."


def test_import_rejects_directory(tmp_path, organization):
    _, _, error = run_import(organization.pk, tmp_path)

    assert str(error).startswith(f"Could not read {tmp_path}")


@pytest.mark.parametrize("reference", ["Southwind", "999999", "-1", ""])
def test_import_rejects_unknown_organization(tmp_path, organization, reference):
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    _, _, error = run_import(reference, path)

    assert str(error).startswith(f"No organization “{reference.strip()}”")

    assert not User.objects.exists()


# Inputs the command gets wrong


def test_import_rejects_repeated_column(tmp_path, organization):
    # The second "email" column would silently replace the first.
    text = (
        "email,full name,administrator,email\n"
        "ann.lee@example.com,Ann Lee,no,bo.chen@example.com\n"
    )
    path = write_csv(tmp_path, text)

    _, _, error = run_import(organization.pk, path)

    assert error is not None
    assert not User.objects.exists()


def test_import_rejects_email_longer_than_field(tmp_path, organization):
    # validate_email accepts up to 320 characters, but User.email allows 254.
    email = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com"
    path = write_csv(tmp_path, HEADER + f"{email},Long Address,no\n")

    _, _, error = run_import(organization.pk, path)

    assert error is not None
    assert not User.objects.exists()


def test_import_finds_organization_with_numeric_name(tmp_path):
    organization = OrganizationFactory(name="1984")
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    _, _, error = run_import("1984", path)

    assert error is None, error

    assert User.objects.filter(organization=organization).count() == 2


def test_import_rejects_ambiguous_organization_name(tmp_path):
    OrganizationFactory(name="Acme")
    OrganizationFactory(name="ACME")
    path = write_csv(tmp_path, HEADER + GOOD_ROWS)

    _, _, error = run_import("acme", path)

    assert error is not None

    assert not User.objects.exists()
