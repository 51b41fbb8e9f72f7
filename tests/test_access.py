"""Access matrix: every URL pattern, every HTTP method, every role.

The patterns come from walking the URL configuration, so a new URL is checked
without editing this file. Its parameters are filled with objects of the
administrator's organization (see parameter_values()). Every pattern of the
Django admin is included, with GET and POST only. The admin is where support
staff see all organizations, so a leak would be most likely there.

Expected outcomes follow the design:

- anonymous users are sent to a sign-in page, except on public views;
- Settings (every path under settings/) is for the organization's
  administrators only: members, support staff and superusers get 403;
- an administrator of another organization gets 404 for this organization's
  objects, and their own organization's pages elsewhere;
- non-staff users are sent to the admin's sign-in page by the admin;
- a method the view does not accept gets 405 with an Allow header;
- no request gets a 500, and no response body shows another organization's
  names or emails, except admin pages shown to support staff and superusers;
- a user who may not change anything changes no row, whatever they send.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.regex_helper import normalize
from django.views.decorators.http import require_http_methods
from django.views.generic import RedirectView

from accounts.models import Organization, User
from licensing.groups import ADMINISTRATORS
from licensing.models import Assignment, Capability, Event, Holding, LicenseType
from tests.factories import (
    AdministratorFactory,
    AssignmentFactory,
    AutomaticLicenseTypeFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    OrganizationFactory,
    SuperuserFactory,
    SupportUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Most of the Django admin's views accept every method and treat any method
# but POST as GET, so other methods would mostly repeat the GET requests.
ADMIN_METHODS = ["GET", "POST"]
ROLES = [
    "anonymous",
    "member",
    "other_administrator",
    "administrator",
    "support",
    "superuser",
]
# Roles that may change nothing at all: every request they send must leave
# the database as it was.
READ_ONLY_ROLES = {"anonymous", "member", "other_administrator"}
STAFF_ROLES = {"support", "superuser"}

# Every name, email and organization name of one organization contains its
# marker, so a search of a response body finds any of them.
MARKER = "aldebaran"
OTHER_MARKER = "zyzzyva"

REDIRECTS = {301, 302, 303, 307, 308}


# The URL configuration, walked


@dataclass(frozen=True)
class Route:
    """One URL pattern of the configuration, with what is needed to request it."""

    pattern: str
    name: str | None
    namespace: str | None
    view: Callable
    # The regular expression of every level, from the root include to the leaf.
    regexes: tuple[str, ...]
    parameters: tuple[str, ...]
    # The model of a ModelAdmin's patterns, or None elsewhere.
    admin_model: type | None

    @property
    def is_admin(self) -> bool:
        return self.namespace == "admin"

    @property
    def is_settings(self) -> bool:
        return self.pattern.startswith("settings/")

    @property
    def qualified_name(self) -> str | None:
        if self.name is None:
            return None
        return f"{self.namespace}:{self.name}" if self.namespace else self.name

    def __str__(self):
        return self.pattern or "/"


def walk_patterns(resolver, regexes=(), patterns=(), namespace=None, model=None):
    """Yield a Route for every leaf pattern below `resolver`."""
    for entry in resolver.url_patterns:
        level_regexes = (*regexes, entry.pattern.regex.pattern)
        level_patterns = (*patterns, str(entry.pattern))
        if isinstance(entry, URLResolver):
            yield from walk_patterns(
                entry,
                level_regexes,
                level_patterns,
                entry.namespace or namespace,
                _admin_model(entry) or model,
            )
        elif isinstance(entry, URLPattern):
            yield Route(
                pattern="".join(level_patterns),
                name=entry.name,
                namespace=namespace,
                view=entry.callback,
                regexes=level_regexes,
                parameters=tuple(
                    name for regex in level_regexes for name in normalize(regex)[0][1]
                ),
                admin_model=model,
            )


def _admin_model(resolver):
    # ModelAdmin.get_urls() marks each of its views with the ModelAdmin.
    for entry in resolver.url_patterns:
        model_admin = getattr(getattr(entry, "callback", None), "model_admin", None)
        if model_admin is not None:
            return model_admin.model
    return None


ROUTES = list(walk_patterns(get_resolver()))


# What each view accepts, read from its decorators

_REQUIRE_METHODS_CODE = require_http_methods(["GET"])(lambda request: None).__code__


def allowed_methods(view) -> frozenset[str] | None:
    """Return the methods the view accepts, or None when it accepts every one.

    Reads class-based views' http_method_names and the method list of
    django.views.decorators.http.require_http_methods (which require_GET and
    require_POST use) anywhere in the view's decorator chain.
    """
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        instance = view_class(**getattr(view, "view_initkwargs", {}))
        return frozenset(method.upper() for method in instance._allowed_methods())
    function = view
    while function is not None:
        code = getattr(function, "__code__", None)
        if code is _REQUIRE_METHODS_CODE:
            cell = function.__closure__[code.co_freevars.index("request_method_list")]
            return frozenset(cell.cell_contents)
        function = getattr(function, "__wrapped__", None)
    return None


def is_public(route: Route) -> bool:
    """Whether LoginRequiredMiddleware lets anonymous users through."""
    return not getattr(route.view, "login_required", True)


def is_redirect_view(route: Route) -> bool:
    view_class = getattr(route.view, "view_class", None)
    return view_class is not None and issubclass(view_class, RedirectView)


# The two organizations and the users of each role


@dataclass
class World:
    organization: Organization
    administrator: User
    member: User
    target: User
    holding: Holding
    assignment: Assignment
    event: Event
    capability: Capability
    other_administrator: User
    support: User
    superuser: User
    admin_objects: dict

    def user(self, role) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world():
    """Build two organizations whose names and emails carry their marker.

    The administrator's organization has seats of a fax type. `member` has
    one of them and `target` has none, so assigning to `target` and removing
    from `member` both succeed for the administrator.
    """
    organization = OrganizationFactory(name="Aldebaran Widgets")
    administrator = AdministratorFactory(
        organization=organization,
        full_name="Astrid Aldebaran",
        email="astrid@aldebaran-widgets.example",
    )
    member = UserFactory(
        organization=organization,
        full_name="Milo Aldebaran",
        email="milo@aldebaran-widgets.example",
    )
    target = UserFactory(
        organization=organization,
        full_name="Tamsin Aldebaran",
        email="tamsin@aldebaran-widgets.example",
    )
    capability = Capability.objects.create(slug="fax", name="Fax")
    fax = LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax")
    fax.capabilities.add(capability)
    AutomaticLicenseTypeFactory(name="PBX Account", slug="pbx-account")
    holding = HoldingFactory(organization=organization, license_type=fax, quantity=5)
    assignment = AssignmentFactory(holding=holding, member=member)
    event = EventFactory(organization=organization, license_type=fax, member=member)

    other_organization = OrganizationFactory(name="Zyzzyva Holdings")
    other_administrator = AdministratorFactory(
        organization=other_organization,
        full_name="Quincy Zyzzyva",
        email="quincy@zyzzyva-holdings.example",
    )
    other_member = UserFactory(
        organization=other_organization,
        full_name="Xanthe Zyzzyva",
        email="xanthe@zyzzyva-holdings.example",
    )
    queue = LicenseTypeFactory(name="Call Queue – Agent", slug="call-queue-agent")
    other_holding = HoldingFactory(organization=other_organization, license_type=queue)
    AssignmentFactory(holding=other_holding, member=other_member)
    EventFactory(
        organization=other_organization, license_type=queue, member=other_member
    )

    access = {
        "user_agent": "pytest",
        "ip_address": "127.0.0.1",
        "username": member.email,
        "http_accept": "text/html",
        "path_info": "/accounts/login/",
    }
    admin_objects = {
        Organization: organization,
        User: target,
        Holding: holding,
        Assignment: assignment,
        Event: event,
        LicenseType: fax,
        Capability: capability,
        Group: Group.objects.get(name=ADMINISTRATORS),
        AccessAttempt: AccessAttempt.objects.create(
            **access, get_data="", post_data="", failures_since_start=1
        ),
        AccessLog: AccessLog.objects.create(**access),
        AccessFailureLog: AccessFailureLog.objects.create(**access),
    }
    return World(
        organization=organization,
        administrator=administrator,
        member=member,
        target=target,
        holding=holding,
        assignment=assignment,
        event=event,
        capability=capability,
        other_administrator=other_administrator,
        support=SupportUserFactory(
            full_name="Sam Support", email="sam@provider.example"
        ),
        superuser=SuperuserFactory(
            full_name="Root Superuser", email="root@provider.example"
        ),
        admin_objects=admin_objects,
    )


# Filling a route's parameters


def parameter_values(route: Route, world: World) -> dict[str, str]:
    """Return a value for every parameter of the route, from the world."""
    values = {}
    for name in route.parameters:
        if name == "member_id" or name == "id":
            value = world.target.pk
        elif name == "holding_id":
            value = world.holding.pk
        elif name == "feature":
            value = world.capability.slug
        elif name == "content_type_id":
            value = ContentType.objects.get_for_model(Organization).pk
        elif name == "object_id" and "content_type_id" in route.parameters:
            value = world.organization.pk
        elif name == "object_id":
            assert route.admin_model in world.admin_objects, (
                f"No object of {route.admin_model} for {route}: add one to "
                "the admin_objects of the world fixture."
            )
            value = world.admin_objects[route.admin_model].pk
        elif name == "app_label":
            value = "licensing"
        elif name == "url":
            value = "no-such-page/"
        else:
            raise AssertionError(
                f"No value for the parameter {name!r} of {route}: add one to "
                "parameter_values()."
            )
        values[name] = str(value)
    return values


def build_path(route: Route, world: World) -> str:
    values = parameter_values(route, world)
    path = "/" + "".join(
        template % values for template, _ in (normalize(r)[0] for r in route.regexes)
    )
    return path


def post_data(route: Route, world: World) -> dict:
    """Return form data that makes the administrator's request succeed."""
    return {
        "licensing:assign": {"member": world.target.pk},
        "licensing:remove": {"member": world.member.pk},
        "licensing:change_member_license": {
            "holding": world.holding.pk,
            "assigned": "on",
        },
        "licensing:bulk_change": {
            "action": "assign",
            "holding": world.holding.pk,
            "member": world.target.pk,
        },
        # Every role may choose its own language; anonymous visitors get the
        # cookie only.
        "set_language": {"language": "fr-ca", "next": "/profile/licenses/"},
    }.get(route.qualified_name, {})


# Expected outcomes


@dataclass(frozen=True)
class Expected:
    statuses: frozenset[int]
    # The paths a redirect may point to, when they matter.
    location: frozenset[str] | None = None
    # Whether the redirect must carry ?next= with the requested path.
    next_path: bool = False

    def __str__(self):
        text = " or ".join(str(status) for status in sorted(self.statuses))
        if self.location:
            text += f" to {' or '.join(sorted(self.location))}"
        return text


def expect(*statuses) -> Expected:
    return Expected(frozenset(statuses))


# Every status except server errors: for admin pages shown to staff, whose
# outcome depends on Django's per-model permissions, and for new URLs that no
# rule below describes yet.
ANY_ANSWER = frozenset(range(200, 500))

PORTAL_PAGES = {
    # name: status for a signed-in user whose method the view accepts
    "healthz": 200,
    "home": 302,
    "login": 200,
    "logout": 302,
    "licensing:profile": 302,
    "licensing:my_licenses": 200,
    "set_language": 302,
}

SETTINGS_ACTIONS = {
    # name: status of an administrator's request without htmx. Changes redirect
    # back to the page, with a message saying whether they succeeded. The body
    # and the member list of a card are fragments, so a request for them
    # without htmx is redirected to the page with the card open.
    "licensing:assign": 302,
    "licensing:remove": 302,
    "licensing:change_member_license": 302,
    "licensing:bulk_change": 302,
    "licensing:member_choices": 302,
    "licensing:license_details": 302,
}

# Sign-in records and permission groups. The Support group has no permission
# on them, so the admin rejects support staff with 403.
SUPPORT_HIDDEN_MODELS = (Group, AccessAttempt, AccessLog, AccessFailureLog)
# The portal's own models, which support staff may at least view.
SUPPORT_VISIBLE_MODELS = (
    Organization,
    User,
    Holding,
    Assignment,
    Event,
    LicenseType,
    Capability,
)


def expected_outcome(route: Route, method: str, role: str) -> Expected:
    """Return the outcome the design expects for `role` sending `method`."""
    if role == "anonymous" and not is_public(route):
        login_urls = {resolve_url(settings.LOGIN_URL)}
        if route.is_admin:
            # LoginRequiredMiddleware sends the admin's site views to the
            # admin's sign-in page. ModelAdmin views carry no login_url, so it
            # sends them to settings.LOGIN_URL. Both return to the page.
            login_urls.add(reverse("admin:login"))
        return Expected(frozenset({302}), frozenset(login_urls), next_path=True)
    if route.is_admin:
        return _expected_in_admin(route, method, role)

    allowed = allowed_methods(route.view)
    if allowed is not None and method not in allowed:
        # Settings' access check runs before the method check.
        if route.is_settings and role not in ADMINISTRATOR_ROLES:
            return expect(403)
        return expect(405)
    if is_redirect_view(route):
        return expect(302)
    if route.is_settings:
        return _expected_in_settings(route, method, role)
    if route.qualified_name == "licensing:feature":
        # Only the member has a seat of the type that gives the fax capability.
        return expect(200) if role == "member" else expect(403)
    if route.pattern == "favicon.ico":
        return expect(301)
    if route.qualified_name in PORTAL_PAGES:
        return expect(PORTAL_PAGES[route.qualified_name])
    return Expected(ANY_ANSWER)


ADMINISTRATOR_ROLES = {"administrator", "other_administrator"}


def _expected_in_settings(route: Route, method: str, role: str) -> Expected:
    if role not in ADMINISTRATOR_ROLES:
        return expect(403)
    if role == "other_administrator" and {"member_id", "holding_id"} & set(
        route.parameters
    ):
        return expect(404)
    if route.qualified_name in SETTINGS_ACTIONS:
        return expect(SETTINGS_ACTIONS[route.qualified_name])
    return expect(200)


def _expected_in_admin(route: Route, method: str, role: str) -> Expected:
    if route.qualified_name == "admin:login":
        return Expected(ANY_ANSWER)
    if role == "support" and route.admin_model in SUPPORT_HIDDEN_MODELS:
        # The unnamed "<object_id>/" pattern redirects to the change page,
        # which returns 403.
        return expect(302) if route.name is None else expect(403)
    if (
        role == "support"
        and route.admin_model in SUPPORT_VISIBLE_MODELS
        and method == "GET"
        and route.name is not None
        and route.name.endswith(("_changelist", "_change", "_history"))
    ):
        return expect(200)
    if role in STAFF_ROLES:
        return Expected(ANY_ANSWER)
    # Users without staff status: the admin sends them to its sign-in page,
    # or from the sign-out page to its index, which does the same.
    admin_entry = {reverse("admin:login"), reverse("admin:index")}
    return Expected(frozenset({302}), frozenset(admin_entry))


# The database, before and after


def snapshot():
    """Return the rows a change to licenses or members would touch."""
    return {
        "assignments": sorted(
            Assignment.objects.values_list("holding_id", "member_id")
        ),
        "holdings": sorted(Holding.objects.values_list("pk", "quantity")),
        "events": Event.objects.count(),
        "users": sorted(
            User.objects.values_list("pk", "email", "is_active", "organization_id")
        ),
        "organizations": Organization.objects.count(),
    }


# The test


def response_body(response) -> str:
    if response.streaming:
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def shared_client():
    # One client for the module: each new Client loads the middleware again,
    # and WhiteNoise's scan of the static files would dominate the run time.
    return Client()


def check_request(
    client: Client, route: Route, method: str, role: str, world: World
) -> list[str]:
    """Send one request and return what went wrong, as readable lines."""
    path = build_path(route, world)
    label = f"{method} {path} ({route}) as {role}"
    client.cookies.clear()
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    before = snapshot() if role in READ_ONLY_ROLES else None
    body = "" if method == "GET" else urlencode(post_data(route, world), doseq=True)
    try:
        response = client.generic(
            method,
            path,
            data=body,
            content_type="application/x-www-form-urlencoded",
        )
    except Exception as error:
        # Reported with the request, so the other requests still run.
        return [f"{label}: raised {error.__class__.__name__}: {error}"]

    problems = []
    expected = expected_outcome(route, method, role)
    status = response.status_code
    if status >= 500 or status not in expected.statuses:
        location = response.get("Location", "")
        problems.append(f"{label}: expected {expected}, got {status} {location}")
    elif status in REDIRECTS and expected.location:
        location = urlsplit(response["Location"])
        if location.path not in expected.location:
            problems.append(
                f"{label}: expected a redirect to {expected}, "
                f"got {response['Location']}"
            )
        elif expected.next_path and parse_qs(location.query).get("next") != [path]:
            problems.append(
                f"{label}: expected next={path} in the redirect, got "
                f"{response['Location']}"
            )
    if status == 405:
        allowed = allowed_methods(route.view)
        answered = set(_split(response.get("Allow", ""))) & set(METHODS)
        if allowed is not None and answered != allowed & set(METHODS):
            problems.append(
                f"{label}: 405 with Allow {response.get('Allow')!r}, expected "
                f"{', '.join(sorted(allowed))}"
            )

    content = response_body(response).lower()
    staff_in_admin = role in STAFF_ROLES and route.is_admin
    if role != "other_administrator" and not staff_in_admin and OTHER_MARKER in content:
        problems.append(f"{label}: the body shows the other organization's data")
    if role == "other_administrator" and MARKER in content:
        problems.append(f"{label}: the body shows the administrator's organization")
    if before is not None and snapshot() != before:
        problems.append(f"{label}: changed the database")
    return problems


def _split(header: str) -> list[str]:
    return [method.strip() for method in header.split(",") if method.strip()]


def test_walk_finds_portal_and_admin_urls():
    names = {route.qualified_name for route in ROUTES}

    assert "licensing:assign" in names
    assert "licensing:member_panel" in names
    assert "admin:licensing_holding_change" in names
    assert "admin:accounts_user_change" in names


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_access_matrix(shared_client, route, world):
    path = build_path(route, world)
    assert resolve(path).func is route.view, f"{path} does not resolve to {route}"
    methods = ADMIN_METHODS if route.is_admin else METHODS

    problems = [
        problem
        for role in ROLES
        for method in methods
        for problem in check_request(shared_client, route, method, role, world)
    ]

    assert not problems, "\n".join(problems)
