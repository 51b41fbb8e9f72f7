import csv
import io

import pytest
from django.core.management import CommandError, call_command

from licensing.exports import HEADER
from tests.factories import (
    AssignmentFactory,
    HoldingFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory(name="Northwind Traders")


def export(reference):
    stdout = io.StringIO()
    call_command("exportassignments", str(reference), stdout=stdout)
    return list(csv.reader(io.StringIO(stdout.getvalue())))


def test_export_writes_header_and_assignments(organization):
    holding = HoldingFactory(organization=organization)
    assignments = AssignmentFactory.create_batch(3, holding=holding)
    AssignmentFactory.create_batch(2)

    rows = export(organization.pk)

    assert rows[0] == HEADER
    assert len(rows) == 4
    assert {row[1] for row in rows[1:]} == {a.member.email for a in assignments}


@pytest.mark.parametrize("reference", ["northwind traders", "NORTHWIND TRADERS"])
def test_export_finds_organization_by_name(organization, reference):
    AssignmentFactory(holding__organization=organization)

    assert len(export(reference)) == 2


def test_export_of_organization_without_assignments(organization):
    AssignmentFactory()

    assert export(organization.pk) == [HEADER]


def test_export_neutralizes_formula_name(organization):
    AssignmentFactory(
        holding__organization=organization,
        member=UserFactory(organization=organization, full_name="=1+2"),
    )

    rows = export(organization.pk)

    assert rows[1][2] == "'=1+2"


def test_export_rejects_unknown_organization(organization):
    with pytest.raises(CommandError, match="No organization “Southwind”"):
        export("Southwind")
