import csv
import datetime
import io

import pytest
from django.urls import reverse

from licensing.exports import HEADER, write_assignments_csv
from tests.factories import (
    AssignmentFactory,
    HoldingFactory,
    LicenseTypeFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("licensing:export_assignments")


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def fax_holding(organization):
    return HoldingFactory(
        organization=organization,
        license_type=LicenseTypeFactory(name="Virtual Fax", position=1),
    )


def test_csv_has_header_and_one_row_per_assignment(
    organization, fax_holding, administrator
):
    ann = UserFactory(
        organization=organization, full_name="Ann Lee", email="ann@example.com"
    )
    AssignmentFactory(
        holding=fax_holding,
        member=ann,
        assigned_by=administrator,
        assigned_at=datetime.datetime(2025, 1, 15, 17, 30, 5, tzinfo=datetime.UTC),
    )
    AssignmentFactory.create_batch(2, holding=fax_holding)
    AssignmentFactory.create_batch(3, holding__organization=organization)
    stream = io.StringIO()

    write_assignments_csv(organization, stream)

    rows = read_csv(stream.getvalue())
    assert rows[0] == HEADER
    assert len(rows) == 1 + 6
    assert [
        "Virtual Fax",
        "ann@example.com",
        "Ann Lee",
        administrator.email,
        "2025-01-15T17:30:05Z",
    ] in rows


def test_csv_leaves_out_other_organizations(organization, fax_holding):
    AssignmentFactory(holding=fax_holding)
    outsider = AssignmentFactory().member
    stream = io.StringIO()

    write_assignments_csv(organization, stream)

    assert outsider.email not in stream.getvalue()
    assert len(read_csv(stream.getvalue())) == 2


@pytest.mark.parametrize(
    "full_name", ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab"]
)
def test_csv_neutralizes_formulas(organization, fax_holding, full_name):
    AssignmentFactory(
        holding=fax_holding,
        member=UserFactory(organization=organization, full_name=full_name),
    )
    stream = io.StringIO()

    write_assignments_csv(organization, stream)

    assert read_csv(stream.getvalue())[1][2] == f"'{full_name}"


def test_csv_keeps_plain_names(organization, fax_holding):
    AssignmentFactory(
        holding=fax_holding,
        member=UserFactory(organization=organization, full_name="Ann = Lee"),
    )
    stream = io.StringIO()

    write_assignments_csv(organization, stream)

    assert read_csv(stream.getvalue())[1][2] == "Ann = Lee"


# Settings > Licenses download


def test_download_returns_csv_attachment(
    administrator_client, organization, fax_holding
):
    AssignmentFactory.create_batch(2, holding=fax_holding)
    organization.name = "Northwind Traders"
    organization.save()

    response = administrator_client.get(EXPORT_URL)

    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="northwind-traders-')
    assert disposition.endswith('.csv"')
    rows = read_csv(response.content.decode())
    assert rows[0] == HEADER
    assert len(rows) == 3


def test_download_forbidden_to_member(member_client, organization, fax_holding):
    AssignmentFactory(holding=fax_holding)

    response = member_client.get(EXPORT_URL)

    assert response.status_code == 403, response.content.decode()
    assert "Virtual Fax" not in response.content.decode()


def test_download_forbidden_to_support_staff(client):
    client.force_login(SupportUserFactory())

    response = client.get(EXPORT_URL)

    assert response.status_code == 403, response.content.decode()


def test_download_requires_sign_in(client):
    response = client.get(EXPORT_URL)

    assert response.status_code == 302, response.content.decode()
    assert response.url.startswith(reverse("login"))
