import pytest

from accounts.imports import BadRow, read_members_csv
from accounts.services import MemberRow
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full name,administrator\n"


def test_read_returns_checked_rows(organization):
    rows, bad_rows = read_members_csv(
        HEADER + " ann.lee@example.com , Ann Lee ,Yes\nbo@example.com,Bo,NO\n",
        organization,
    )

    assert bad_rows == []
    assert rows == [
        MemberRow("ann.lee@example.com", "Ann Lee", True),
        MemberRow("bo@example.com", "Bo", False),
    ]


def test_read_accepts_own_member_email(organization):
    UserFactory(organization=organization, email="ann.lee@example.com")

    rows, bad_rows = read_members_csv(
        HEADER + "Ann.Lee@example.com,Ann Lee,no\n", organization
    )

    assert bad_rows == []
    assert [row.email for row in rows] == ["Ann.Lee@example.com"]


def test_read_reports_quoted_name_with_comma(organization):
    rows, bad_rows = read_members_csv(
        HEADER + '"lee@example.com","Lee, Ann",no\n', organization
    )

    assert bad_rows == []
    assert rows[0].full_name == "Lee, Ann"


def test_read_numbers_lines_after_multiline_field(organization):
    text = HEADER + 'ann@example.com,"Ann\nLee",no\nbad,Bo,no\n'

    _, bad_rows = read_members_csv(text, organization)

    assert bad_rows == [
        BadRow(2, "full name contains a line break or control character"),
        BadRow(4, "invalid email “bad”"),
    ]


def test_read_rejects_nul_character(organization):
    _, bad_rows = read_members_csv(
        HEADER + "ann@example.com,A\x00nn,no\n", organization
    )

    assert bad_rows == [BadRow(2, "contains a NUL character")]


def test_read_sorts_bad_rows_by_line(organization):
    UserFactory(email="taken@example.com")
    text = HEADER + "taken@example.com,Taken,no\nbad,Bo,no\n"

    _, bad_rows = read_members_csv(text, organization)

    assert [bad_row.line for bad_row in bad_rows] == [2, 3]
    assert str(bad_rows[0]) == (
        f"line 2: “taken@example.com” belongs to a user outside {organization}"
    )
