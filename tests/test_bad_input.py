"""Bad input across the portal, the Django admin and the management commands.

Each case sends one bad request or runs one command with bad arguments. The
design requires the same outcome everywhere: a 4xx status or a form error,
with a plain message that names the bad value, and no change to assignments,
holdings, events or users.
"""

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import constants as message_levels
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from licensing.forms import SHOWN_VALUE_LENGTH
from licensing.models import Assignment, Event, Holding
from tests.admin_forms import admin_form_data
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SuperuserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# Fixed primary keys, so that a message naming them cannot match another
# number of the page by chance.
OTHER_MEMBER_ID = 987654
OTHER_HOLDING_ID = 876543
UNKNOWN_ID = "999999999"
# Since Python 3.11, int() raises ValueError for a string of more than 4300
# digits, the default of sys.set_int_max_str_digits().
HUGE_ID = "1" * 5000
CSV_HEADER = "email,full name,administrator\n"


@dataclass
class Data:
    """The rows that the cases refer to."""

    organization: object
    administrator: User
    holder: User
    newcomer: User
    inactive: User
    holding: Holding
    full_holding: Holding
    automatic_holding: Holding
    other_member: User
    other_holding: Holding
    superuser: User


@pytest.fixture
def data():
    """Build an organization with seats in use, and another organization.

    `holding` has 2 of 3 seats in use, by `holder` and one more member.
    `full_holding` has its 1 seat taken by `holder`. `automatic_holding` is a
    holding of an automatic type, which the services must reject; it can
    only exist when written directly, as here.
    """
    organization = OrganizationFactory(name="Northwind Traders")
    administrator = AdministratorFactory(
        organization=organization, full_name="Ada Admin"
    )
    holder = UserFactory(organization=organization, full_name="Hana Holder")
    newcomer = UserFactory(organization=organization, full_name="Nils Newcomer")
    inactive = UserFactory(
        organization=organization, full_name="Ina Inactive", is_active=False
    )
    holding = HoldingFactory(
        organization=organization,
        license_type=LicenseTypeFactory(name="Virtual Fax"),
        quantity=3,
    )
    AssignmentFactory(holding=holding, member=holder)
    AssignmentFactory(holding=holding)
    full_holding = HoldingFactory(
        organization=organization,
        license_type=LicenseTypeFactory(name="Huddle Video Conference"),
        quantity=1,
    )
    AssignmentFactory(holding=full_holding, member=holder)
    automatic_holding = HoldingFactory(
        organization=organization,
        license_type=AutomaticLicenseTypeFactory(name="PBX Account"),
        quantity=None,
    )

    other_organization = OrganizationFactory(name="Southwind Imports")
    other_member = UserFactory(
        pk=OTHER_MEMBER_ID, organization=other_organization, full_name="Otto Other"
    )
    other_holding = HoldingFactory(
        pk=OTHER_HOLDING_ID,
        organization=other_organization,
        license_type=holding.license_type,
    )
    return Data(
        organization=organization,
        administrator=administrator,
        holder=holder,
        newcomer=newcomer,
        inactive=inactive,
        holding=holding,
        full_holding=full_holding,
        automatic_holding=automatic_holding,
        other_member=other_member,
        other_holding=other_holding,
        superuser=SuperuserFactory(),
    )


@pytest.fixture(scope="module")
def shared_client():
    # Each new Client loads the middleware again, which takes a noticeable
    # time because WhiteNoise scans the static files.
    return Client()


def snapshot():
    """Return every row of the tables that bad input must leave unchanged."""
    return {
        "assignments": sorted(
            Assignment.objects.values_list("pk", "holding_id", "member_id")
        ),
        "events": sorted(Event.objects.values_list("pk", flat=True)),
        "holdings": sorted(
            Holding.objects.values_list(
                "pk",
                "organization_id",
                "license_type_id",
                "quantity",
                "low_seat_threshold",
            )
        ),
        "users": sorted(
            User.objects.values_list(
                "pk", "email", "full_name", "is_active", "organization_id", "language"
            )
        ),
    }


# Sending one case and reading its outcome

# The outcome of a command that raised CommandError.
COMMAND_ERROR = "CommandError"
# The outcome of an admin page shown again with a form error or an error message.
FORM_ERROR = "form error"


@dataclass
class Reply:
    outcome: int | str
    text: str


def visible_text(response) -> str:
    """Return the text a browser shows for the response, tags removed."""
    content = response.content.decode("utf-8", errors="replace")
    content = re.sub(r"<script.*?</script>|<style.*?</style>", " ", content, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return " ".join(text.split())


def portal_reply(response) -> Reply:
    return Reply(response.status_code, visible_text(response))


def admin_reply(response) -> Reply:
    """Return FORM_ERROR when the admin shows an error, else the status."""
    context = response.context or {}
    has_error = False
    if "adminform" in context:
        has_error = bool(context["adminform"].form.errors)
    for inline in context.get("inline_admin_formsets", []):
        has_error = has_error or not inline.formset.is_valid()
    if "messages" in context:
        has_error = has_error or any(
            message.level >= message_levels.WARNING for message in context["messages"]
        )
    # The page that asks which holding to assign from shows its own error.
    has_error = has_error or bool(context.get("error"))
    outcome = FORM_ERROR if response.status_code == 200 and has_error else None
    return Reply(outcome or response.status_code, visible_text(response))


@dataclass(frozen=True)
class Case:
    """One bad input: how to send it and what must come back."""

    send: Callable[..., Reply]
    outcome: int | str
    # Text the message must contain, ignoring letter case, or a tuple of
    # texts of which it must contain one. str.format() fills {d.…} from Data.
    message: str | tuple[str, ...]

    def messages(self, data: Data) -> list[str]:
        texts = (self.message,) if isinstance(self.message, str) else self.message
        return [text.format(d=data) for text in texts]


def reporting_errors(send):
    """Wrap `send` so that an exception becomes an outcome the test reports."""

    def wrapper(d, client, tmp_path):
        try:
            return send(d, client, tmp_path)
        except Exception as error:
            return Reply(f"raised {error.__class__.__name__}", str(error))

    return wrapper


def portal_post(url_name, args, form, htmx=True):
    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.administrator)
        response = client.post(
            reverse(url_name, args=args(d)), form(d), headers=HTMX if htmx else {}
        )
        return portal_reply(response)

    return send


def portal_get(url_name, query, args=lambda d: []):
    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.administrator)
        return portal_reply(client.get(reverse(url_name, args=args(d)), query(d)))

    return send


def portal_get_path(path):
    """GET a path built by hand, for ids that no URL pattern accepts."""

    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.administrator)
        return portal_reply(client.get(path(d)))

    return send


def admin_get(url):
    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.superuser)
        return portal_reply(client.get(url(d)))

    return send


def admin_change(url_name, obj, changes):
    """Submit an admin change page with `changes` applied to its current data."""

    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.superuser)
        url = reverse(url_name, args=[obj(d).pk])
        form = admin_form_data(client.get(url))
        form.update(changes(d))
        return admin_reply(client.post(url, form, follow=True))

    return send


def admin_post(url, form):
    @reporting_errors
    def send(d, client, tmp_path):
        client.force_login(d.superuser)
        return admin_reply(client.post(url(d), form(d), follow=True))

    return send


def command(name, arguments, csv_text=None):
    """Run a management command; `arguments` may use {file} for the CSV file.

    `csv_text` returns the file's content, as str for UTF-8 or as bytes.
    """

    def send(d, client, tmp_path):
        path = tmp_path / "members.csv"
        if csv_text is not None:
            text = csv_text(d)
            if isinstance(text, str):
                text = text.encode()
            path.write_bytes(text)
        stdout, stderr = StringIO(), StringIO()
        try:
            call_command(
                name,
                *[argument(d).format(file=path) for argument in arguments],
                stdout=stdout,
                stderr=stderr,
            )
        except CommandError as error:
            return Reply(COMMAND_ERROR, f"{error}\n{stderr.getvalue()}")
        except Exception as error:
            return Reply(f"raised {error.__class__.__name__}", str(error))
        return Reply("completed", stdout.getvalue())

    return send


def user_action(action, members, license_type=lambda d: ""):
    def form(d):
        return {
            "action": action,
            ACTION_CHECKBOX_NAME: [str(member.pk) for member in members(d)],
            "index": "0",
            "license_type": license_type(d),
        }

    return admin_post(lambda d: reverse("admin:accounts_user_changelist"), form)


def assign(form, htmx=True, holding=lambda d: d.holding):
    return portal_post("licensing:assign", lambda d: [holding(d).pk], form, htmx)


def remove(form, holding=lambda d: d.holding):
    return portal_post("licensing:remove", lambda d: [holding(d).pk], form)


def change_member_license(member, form):
    return portal_post(
        "licensing:change_member_license", lambda d: [member(d).pk], form
    )


def bulk(form):
    return portal_post("licensing:bulk_change", lambda d: [], form)


def bulk_form(**fields):
    def form(d):
        return {"action": "assign", "holding": d.holding.pk, **fields}

    return form


def members_csv(rows):
    return lambda d: CSV_HEADER + rows


def organization_name(d):
    return d.organization.name


CASES = {
    # Settings > Licenses: assign and remove one member.
    "assign-member-id-not-a-number": Case(
        assign(lambda d: {"member": "abc"}), 400, "“abc” is not a member id"
    ),
    "assign-member-id-missing": Case(
        assign(lambda d: {}), 400, "No member was chosen."
    ),
    "assign-member-id-empty-without-htmx": Case(
        assign(lambda d: {"member": " "}, htmx=False), 400, "No member was chosen."
    ),
    "assign-member-id-oversized": Case(
        assign(lambda d: {"member": "x" * 10_000}),
        400,
        f"“{'x' * SHOWN_VALUE_LENGTH}…” is not a member id",
    ),
    "assign-member-id-beyond-int-conversion-limit": Case(
        assign(lambda d: {"member": HUGE_ID}),
        400,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” is not a member id",
    ),
    "assign-member-id-with-nul": Case(
        assign(lambda d: {"member": "1\x00"}),
        400,
        "The member id contains a NUL character. Choose a member from the list.",
    ),
    "assign-member-id-unknown": Case(
        assign(lambda d: {"member": UNKNOWN_ID}), 404, UNKNOWN_ID
    ),
    "assign-member-of-other-organization": Case(
        assign(lambda d: {"member": OTHER_MEMBER_ID}), 404, str(OTHER_MEMBER_ID)
    ),
    "assign-inactive-member": Case(
        assign(lambda d: {"member": d.inactive.pk}),
        409,
        "Ina Inactive is deactivated and cannot be given a license.",
    ),
    "assign-twice": Case(
        assign(lambda d: {"member": d.holder.pk}),
        409,
        "Hana Holder already holds Virtual Fax. Nothing was changed.",
    ),
    "assign-beyond-quantity": Case(
        assign(lambda d: {"member": d.newcomer.pk}, holding=lambda d: d.full_holding),
        409,
        "No Huddle Video Conference seats remaining (1 of 1 in use)",
    ),
    "assign-automatic-license": Case(
        assign(
            lambda d: {"member": d.newcomer.pk},
            holding=lambda d: d.automatic_holding,
        ),
        409,
        "PBX Account is automatic",
    ),
    "remove-automatic-license": Case(
        remove(
            lambda d: {"member": d.newcomer.pk},
            holding=lambda d: d.automatic_holding,
        ),
        409,
        "PBX Account is automatic",
    ),
    "remove-twice": Case(
        remove(lambda d: {"member": d.newcomer.pk}),
        409,
        "Nils Newcomer does not hold Virtual Fax. Nothing was changed.",
    ),
    "assign-on-holding-of-other-organization": Case(
        assign(lambda d: {"member": d.newcomer.pk}, holding=lambda d: d.other_holding),
        404,
        "does not exist, or it belongs to another organization",
    ),
    "licenses-open-id-beyond-int-conversion-limit": Case(
        portal_get("licensing:organization_licenses", lambda d: {"open": HUGE_ID}),
        200,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” names no license your organization "
        "holds. Open one from the list below.",
    ),
    "licenses-open-not-a-number": Case(
        portal_get("licensing:organization_licenses", lambda d: {"open": "abc"}),
        200,
        "“abc” names no license your organization holds",
    ),
    "licenses-open-holding-of-other-organization": Case(
        portal_get(
            "licensing:organization_licenses", lambda d: {"open": OTHER_HOLDING_ID}
        ),
        200,
        f"“{OTHER_HOLDING_ID}” names no license your organization holds",
    ),
    # Settings > Members: one member's panel. Ids in the path get the
    # generic 404 page: the address bar already shows the value.
    "panel-path-member-id-not-a-number": Case(
        portal_get_path(lambda d: "/settings/members/abc/"),
        404,
        "does not exist, or it belongs to another organization",
    ),
    "panel-path-member-of-other-organization": Case(
        portal_get_path(lambda d: f"/settings/members/{OTHER_MEMBER_ID}/"),
        404,
        "does not exist, or it belongs to another organization",
    ),
    "panel-holding-id-not-a-number": Case(
        change_member_license(
            lambda d: d.newcomer, lambda d: {"holding": "abc", "assigned": "on"}
        ),
        400,
        "“abc”",
    ),
    "panel-holding-id-missing": Case(
        change_member_license(lambda d: d.newcomer, lambda d: {"assigned": "on"}),
        400,
        ("holding", "license type"),
    ),
    "panel-holding-of-other-organization": Case(
        change_member_license(
            lambda d: d.newcomer,
            lambda d: {"holding": OTHER_HOLDING_ID, "assigned": "on"},
        ),
        404,
        str(OTHER_HOLDING_ID),
    ),
    "panel-inactive-member": Case(
        change_member_license(
            lambda d: d.inactive, lambda d: {"holding": d.holding.pk, "assigned": "on"}
        ),
        404,
        "does not exist, or it belongs to another organization",
    ),
    "panel-remove-twice": Case(
        change_member_license(
            lambda d: d.newcomer, lambda d: {"holding": d.holding.pk}
        ),
        409,
        "Nils Newcomer does not hold Virtual Fax. Nothing was changed.",
    ),
    "panel-assign-automatic-license": Case(
        change_member_license(
            lambda d: d.newcomer,
            lambda d: {"holding": d.automatic_holding.pk, "assigned": "on"},
        ),
        409,
        "PBX Account is automatic",
    ),
    # Settings > Members: bulk changes and filters.
    "bulk-member-id-not-a-number": Case(
        bulk(bulk_form(member=["abc"])), 400, "“abc” is not a member id."
    ),
    "bulk-member-id-unknown": Case(
        bulk(bulk_form(member=[UNKNOWN_ID])),
        400,
        f"Member {UNKNOWN_ID} is not an active member of your organization.",
    ),
    "bulk-member-id-beyond-int-conversion-limit": Case(
        bulk(bulk_form(member=[HUGE_ID])),
        400,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” is not a member id.",
    ),
    "bulk-member-of-other-organization": Case(
        bulk(bulk_form(member=[OTHER_MEMBER_ID])),
        400,
        f"Member {OTHER_MEMBER_ID} is not an active member of your organization.",
    ),
    "bulk-inactive-member": Case(
        bulk(lambda d: bulk_form(member=[d.inactive.pk])(d)),
        400,
        "Member {d.inactive.pk} is not an active member of your organization.",
    ),
    "bulk-holding-of-other-organization": Case(
        bulk(
            lambda d: {
                "action": "assign",
                "holding": OTHER_HOLDING_ID,
                "member": d.newcomer.pk,
            }
        ),
        400,
        f"“{OTHER_HOLDING_ID}” is not a license type your organization holds.",
    ),
    "bulk-action-unknown": Case(
        bulk(lambda d: bulk_form(action="explode", member=[d.newcomer.pk])(d)),
        400,
        "“explode” is not an action.",
    ),
    "bulk-action-missing": Case(
        bulk(lambda d: {"holding": d.holding.pk, "member": [d.newcomer.pk]}),
        400,
        "The action is missing. Choose assign or remove.",
    ),
    "bulk-action-huge": Case(
        bulk(lambda d: bulk_form(action="x" * 5_000, member=[d.newcomer.pk])(d)),
        400,
        f"“{'x' * SHOWN_VALUE_LENGTH}…” is not an action.",
    ),
    "bulk-holding-huge": Case(
        bulk(lambda d: bulk_form(holding=HUGE_ID, member=[d.newcomer.pk])(d)),
        400,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” is not a license type your "
        "organization holds.",
    ),
    "bulk-no-member-selected": Case(
        bulk(bulk_form()),
        400,
        "Select at least one member, or every member matching the filter.",
    ),
    "bulk-beyond-quantity": Case(
        bulk(
            lambda d: {
                "action": "assign",
                "holding": d.full_holding.pk,
                "member": [d.newcomer.pk, d.administrator.pk],
            }
        ),
        409,
        "No Huddle Video Conference seats remaining",
    ),
    "members-filter-license-unknown": Case(
        portal_get("licensing:members", lambda d: {"license": "abc"}),
        400,
        "“abc” is not a license type your organization holds.",
    ),
    "members-filter-license-huge": Case(
        portal_get("licensing:members", lambda d: {"license": "y" * 5_000}),
        400,
        f"“{'y' * SHOWN_VALUE_LENGTH}…” is not a license type your organization holds.",
    ),
    "history-filter-member-huge": Case(
        portal_get("licensing:history", lambda d: {"member": HUGE_ID}),
        400,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” is not a member of your organization.",
    ),
    "history-filter-member-not-a-number": Case(
        portal_get("licensing:history", lambda d: {"member": "abc"}),
        400,
        "“abc” is not a member of your organization.",
    ),
    "history-filter-member-of-other-organization": Case(
        portal_get("licensing:history", lambda d: {"member": OTHER_MEMBER_ID}),
        400,
        f"“{OTHER_MEMBER_ID}” is not a member of your organization.",
    ),
    "history-filter-license-type-unknown": Case(
        portal_get("licensing:history", lambda d: {"license_type": UNKNOWN_ID}),
        400,
        f"“{UNKNOWN_ID}” is not a license type of the catalog.",
    ),
    "troubleshooting-inactive-member": Case(
        portal_get("licensing:troubleshooting", lambda d: {"member": d.inactive.pk}),
        400,
        "“{d.inactive.pk}” is not an active member of your organization.",
    ),
    "troubleshooting-capability-unknown": Case(
        portal_get("licensing:troubleshooting", lambda d: {"capability": "warp"}),
        400,
        "“warp” is not a capability.",
    ),
    # Django admin.
    "admin-holding-negative-quantity": Case(
        admin_change(
            "admin:licensing_holding_change",
            lambda d: d.holding,
            lambda d: {"quantity": "-1"},
        ),
        FORM_ERROR,
        "-1",
    ),
    "admin-holding-quantity-below-in-use": Case(
        admin_change(
            "admin:licensing_holding_change",
            lambda d: d.holding,
            lambda d: {"quantity": "1"},
        ),
        FORM_ERROR,
        "2 seats are in use; remove seats before lowering the quantity to 1.",
    ),
    "admin-holding-quantity-oversized": Case(
        admin_change(
            "admin:licensing_holding_change",
            lambda d: d.holding,
            lambda d: {"quantity": "9" * 30},
        ),
        FORM_ERROR,
        "9" * 30,
    ),
    "admin-holding-quantity-beyond-postgresql-integer": Case(
        admin_change(
            "admin:licensing_holding_change",
            lambda d: d.holding,
            lambda d: {"quantity": "99999999999999"},
        ),
        FORM_ERROR,
        "The quantity 99999999999999 is too large: enter at most 2147483647.",
    ),
    "admin-assignment-twice": Case(
        admin_post(
            lambda d: (
                f"{reverse('admin:licensing_assignment_add')}?holding={d.holding.pk}"
            ),
            lambda d: {"holding": d.holding.pk, "member": d.holder.pk},
        ),
        FORM_ERROR,
        "Hana Holder already holds Virtual Fax. Nothing was changed.",
    ),
    "admin-assignment-beyond-quantity": Case(
        admin_post(
            lambda d: (
                f"{reverse('admin:licensing_assignment_add')}"
                f"?holding={d.full_holding.pk}"
            ),
            lambda d: {"holding": d.full_holding.pk, "member": d.newcomer.pk},
        ),
        FORM_ERROR,
        "No Huddle Video Conference seats remaining (1 of 1 in use)",
    ),
    "admin-assignment-member-of-other-organization": Case(
        admin_post(
            lambda d: (
                f"{reverse('admin:licensing_assignment_add')}?holding={d.holding.pk}"
            ),
            lambda d: {"holding": d.holding.pk, "member": OTHER_MEMBER_ID},
        ),
        FORM_ERROR,
        (str(OTHER_MEMBER_ID), "{d.other_member.email}"),
    ),
    "admin-assignment-inactive-member": Case(
        admin_post(
            lambda d: (
                f"{reverse('admin:licensing_assignment_add')}?holding={d.holding.pk}"
            ),
            lambda d: {"holding": d.holding.pk, "member": d.inactive.pk},
        ),
        FORM_ERROR,
        ("Ina Inactive", "{d.inactive.email}"),
    ),
    "admin-assignment-holding-id-beyond-int-conversion-limit": Case(
        admin_post(
            lambda d: f"{reverse('admin:licensing_assignment_add')}?holding={HUGE_ID}",
            lambda d: {"member": d.newcomer.pk},
        ),
        FORM_ERROR,
        "Choose a holding from the list.",
    ),
    "admin-autocomplete-holding-id-beyond-int-conversion-limit": Case(
        admin_get(
            lambda d: (
                f"{reverse('admin:autocomplete')}?app_label=licensing"
                f"&model_name=assignment&field_name=member&term=a&holding={HUGE_ID}"
            )
        ),
        200,
        '"results": []',
    ),
    "admin-action-assign-without-license-type": Case(
        user_action("assign_license_type", lambda d: [d.newcomer]),
        FORM_ERROR,
        "Choose a license type beside the action, then run it again.",
    ),
    "admin-action-assign-license-type-not-a-number": Case(
        user_action("assign_license_type", lambda d: [d.newcomer], lambda d: "abc"),
        FORM_ERROR,
        "“abc” is not a license type of the catalog. Choose one beside the action.",
    ),
    "admin-action-assign-license-type-unknown": Case(
        user_action(
            "assign_license_type", lambda d: [d.newcomer], lambda d: UNKNOWN_ID
        ),
        FORM_ERROR,
        f"“{UNKNOWN_ID}” is not a license type of the catalog.",
    ),
    "admin-action-assign-automatic-license": Case(
        user_action(
            "assign_license_type",
            lambda d: [d.newcomer],
            license_type=lambda d: d.automatic_holding.license_type_id,
        ),
        FORM_ERROR,
        ("PBX Account", "“{d.automatic_holding.license_type_id}”"),
    ),
    "admin-action-assign-across-organizations": Case(
        user_action(
            "assign_license_type",
            lambda d: [d.newcomer, d.other_member],
            license_type=lambda d: d.holding.license_type_id,
        ),
        FORM_ERROR,
        "Select members of one organization only",
    ),
    # Management commands.
    "import-organization-unknown": Case(
        command(
            "importmembers",
            [lambda d: "Atlantis Freight", lambda d: "{file}"],
            members_csv("new.member@example.com,New Member,no\n"),
        ),
        COMMAND_ERROR,
        "No organization “Atlantis Freight”.",
    ),
    "import-organization-id-beyond-int-conversion-limit": Case(
        command(
            "importmembers",
            [lambda d: HUGE_ID, lambda d: "{file}"],
            members_csv("new.member@example.com,New Member,no\n"),
        ),
        COMMAND_ERROR,
        "No organization",
    ),
    "import-file-missing": Case(
        command("importmembers", [organization_name, lambda d: "/nonexistent.csv"]),
        COMMAND_ERROR,
        "File /nonexistent.csv not found.",
    ),
    "import-csv-not-utf8": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            lambda d: (CSV_HEADER + "new.member@example.com,Renée Roy,no\n").encode(
                "latin-1"
            ),
        ),
        COMMAND_ERROR,
        "is not UTF-8 text. Save it as CSV UTF-8 and try again.",
    ),
    "import-csv-invalid-email": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            members_csv("new.member@example.com,New Member,no\nnot-an-email,X,no\n"),
        ),
        COMMAND_ERROR,
        "line 3: invalid email “not-an-email”",
    ),
    "import-csv-missing-column": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            lambda d: "email,full name\nnew.member@example.com,New Member\n",
        ),
        COMMAND_ERROR,
        "line 1: missing column “administrator”",
    ),
    "import-csv-extra-field": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            members_csv("new.member@example.com,New Member,no,extra\n"),
        ),
        COMMAND_ERROR,
        "line 2: 4 fields, expected 3",
    ),
    "import-csv-administrator-answer-unknown": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            members_csv("new.member@example.com,New Member,maybe\n"),
        ),
        COMMAND_ERROR,
        "line 2: administrator must be yes or no, not “maybe”",
    ),
    "import-csv-name-151-characters": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            members_csv(f"new.member@example.com,{'N' * 151},no\n"),
        ),
        COMMAND_ERROR,
        "line 2: full name longer than 150 characters",
    ),
    "import-csv-email-repeated": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            members_csv("new.member@example.com,A,no\nNEW.member@example.com,B,no\n"),
        ),
        COMMAND_ERROR,
        "line 3: email “NEW.member@example.com” repeats line 2",
    ),
    "import-csv-email-of-other-organization": Case(
        command(
            "importmembers",
            [organization_name, lambda d: "{file}"],
            lambda d: f"{CSV_HEADER}{d.other_member.email},Otto Other,no\n",
        ),
        COMMAND_ERROR,
        "line 2: “{d.other_member.email}” belongs to a user outside Northwind",
    ),
    "export-organization-unknown": Case(
        command("exportassignments", [lambda d: "Atlantis Freight"]),
        COMMAND_ERROR,
        "No organization “Atlantis Freight”.",
    ),
    "export-organization-id-beyond-int-conversion-limit": Case(
        command("exportassignments", [lambda d: HUGE_ID]),
        COMMAND_ERROR,
        "No organization",
    ),
    "language-unknown": Case(
        portal_post(
            "set_language",
            lambda d: [],
            lambda d: {"language": "de", "next": "/"},
            htmx=False,
        ),
        400,
        "“de” is not a language of the portal. Choose one of: en (English), "
        "fr-ca (Français (Canada)).",
    ),
    "language-locale-name": Case(
        portal_post(
            "set_language", lambda d: [], lambda d: {"language": "fr_FR"}, htmx=False
        ),
        400,
        "“fr_FR” is not a language of the portal.",
    ),
    "language-with-nul": Case(
        portal_post(
            "set_language",
            lambda d: [],
            lambda d: {"language": "fr-ca\x00"},
            htmx=False,
        ),
        400,
        "is not a language of the portal.",
    ),
    "language-huge": Case(
        portal_post(
            "set_language", lambda d: [], lambda d: {"language": HUGE_ID}, htmx=False
        ),
        400,
        f"“{HUGE_ID[:SHOWN_VALUE_LENGTH]}…” is not a language of the portal.",
    ),
    "language-missing": Case(
        portal_post("set_language", lambda d: [], lambda d: {}, htmx=False),
        400,
        "The language is missing.",
    ),
    "admin-user-language-unknown": Case(
        admin_change(
            "admin:accounts_user_change",
            lambda d: d.holder,
            lambda d: {"language": "de"},
        ),
        FORM_ERROR,
        "Select a valid choice. de is not one of the available choices.",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_rejected_unchanged(case, data, shared_client, tmp_path):
    shared_client.cookies.clear()
    before = snapshot()

    reply = case.send(data, shared_client, tmp_path)

    messages = case.messages(data)
    assert reply.outcome == case.outcome, reply.text[:3000]
    assert any(message.casefold() in reply.text.casefold() for message in messages), (
        f"None of {messages} in:\n{reply.text[:3000]}"
    )
    assert snapshot() == before


# Names that are hard to show, search and import, but valid

UNUSUAL_NAMES = {
    "emoji": "Zoë 🦄 Quinn 👩🏽‍💻",
    "combining-accents": unicodedata.normalize("NFD", "Élodie Trépanier"),
    "right-to-left": "نورة الأحمد",
    "150-characters-without-space": ("Wolfeschlegelsteinhausenbergerdorff" * 5)[:150],
}


@pytest.fixture
def named_member(request, data):
    """A member of the organization named UNUSUAL_NAMES[request.param]."""
    member = UserFactory(
        organization=data.organization, full_name=UNUSUAL_NAMES[request.param]
    )
    AssignmentFactory(holding=data.holding, member=member)
    return member


@pytest.mark.parametrize("named_member", UNUSUAL_NAMES, indirect=True)
@pytest.mark.parametrize(
    "url_name", ["licensing:members", "licensing:organization_licenses"]
)
def test_unusual_name_listed(named_member, data, shared_client, url_name):
    shared_client.force_login(data.administrator)
    before = snapshot()

    # The card of the holding opened, as its holders are listed only there.
    response = shared_client.get(reverse(url_name), {"open": data.holding.pk})

    assert response.status_code == 200, response.content.decode()
    assert named_member.full_name in visible_text(response)
    assert snapshot() == before


@pytest.mark.parametrize("named_member", UNUSUAL_NAMES, indirect=True)
def test_unusual_name_found_by_search(named_member, data, shared_client):
    shared_client.force_login(data.administrator)

    response = shared_client.get(
        reverse("licensing:members"), {"q": named_member.full_name}
    )

    assert response.status_code == 200, response.content.decode()
    assert list(response.context["page"].object_list) == [named_member]


@pytest.mark.parametrize("named_member", UNUSUAL_NAMES, indirect=True)
def test_unusual_name_found_by_member_choices(named_member, data, shared_client):
    AssignmentFactory(holding=data.full_holding, member=data.newcomer)
    shared_client.force_login(data.administrator)

    response = shared_client.get(
        reverse("licensing:member_choices", args=[data.full_holding.pk]),
        {"q": named_member.full_name},
        headers=HTMX,
    )

    assert response.status_code == 200, response.content.decode()
    assert response.context["choices"] == [named_member]


@pytest.mark.parametrize("named_member", ["combining-accents"], indirect=True)
def test_decomposed_name_found_by_composed_search(named_member, data, shared_client):
    # A keyboard types "é" as one code point, while a name copied from another
    # system may store "e" followed by a combining accent. Both look the same.
    shared_client.force_login(data.administrator)
    composed = unicodedata.normalize("NFC", named_member.full_name)

    response = shared_client.get(reverse("licensing:members"), {"q": composed})

    assert response.status_code == 200, response.content.decode()
    assert list(response.context["page"].object_list) == [named_member]


@pytest.mark.parametrize("name", UNUSUAL_NAMES.values(), ids=UNUSUAL_NAMES.keys())
def test_unusual_name_imported_intact(name, data, tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(f'{CSV_HEADER}new.member@example.com,"{name}",no\n', "utf-8")

    call_command(
        "importmembers", str(data.organization.pk), str(path), stdout=StringIO()
    )

    member = User.objects.get(email="new.member@example.com")
    # Composing accents (NFC) keeps the text, which reads the same.
    assert member.full_name == unicodedata.normalize("NFC", name)
    assert member.organization == data.organization
