from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxMiddleware

from config.middleware import HtmxLoginRedirectMiddleware
from licensing.models import Holding
from tests.factories import (
    PASSWORD,
    AdministratorFactory,
    AssignmentFactory,
    HoldingFactory,
)

LOGIN_URL = reverse("login")
SETTINGS_URL = reverse("licensing:organization_licenses")


def middleware_answering(response):
    """Return the portal's htmx middlewares around a view returning `response`."""
    return HtmxMiddleware(HtmxLoginRedirectMiddleware(lambda request: response))


def next_of(location):
    """Return the `next` parameter of a sign-in URL, checking the path first."""
    parts = urlsplit(location)
    assert parts.path == LOGIN_URL, location
    return parse_qs(parts.query)["next"][0]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_htmx_redirect_becomes_hx_redirect(status):
    redirect = HttpResponseRedirect("/profile/licenses/", status=status)
    request = RequestFactory().get("/settings/", headers={"HX-Request": "true"})

    response = middleware_answering(redirect)(request)

    assert response.status_code == 200
    assert response["HX-Redirect"] == "/profile/licenses/"


def test_plain_redirect_left_unchanged():
    redirect = HttpResponseRedirect("/profile/licenses/")
    request = RequestFactory().get("/settings/")

    response = middleware_answering(redirect)(request)

    assert response is redirect
    assert "HX-Redirect" not in response


def test_htmx_success_left_unchanged():
    fragment = HttpResponse("<p>fragment</p>")
    request = RequestFactory().get("/settings/", headers={"HX-Request": "true"})

    response = middleware_answering(fragment)(request)

    assert response is fragment
    assert "HX-Redirect" not in response


def test_sign_in_redirect_returns_to_current_page():
    sign_in = HttpResponseRedirect(f"{LOGIN_URL}?next=/settings/licenses/3/assign/")
    request = RequestFactory().post(
        "/settings/licenses/3/assign/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/settings/licenses/?open=3",
        },
    )

    response = middleware_answering(sign_in)(request)

    assert next_of(response["HX-Redirect"]) == "/settings/licenses/?open=3"


def test_sign_in_redirect_ignores_foreign_origin():
    sign_in = HttpResponseRedirect(f"{LOGIN_URL}?next=/settings/licenses/3/assign/")
    request = RequestFactory().post(
        "/settings/licenses/3/assign/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "https://attacker.example/settings/licenses/",
        },
    )

    response = middleware_answering(sign_in)(request)

    assert "attacker.example" not in response["HX-Redirect"]
    assert next_of(response["HX-Redirect"]) == "/settings/licenses/3/assign/"


@pytest.mark.django_db
def test_anonymous_htmx_request_gets_hx_redirect(client):
    holding = HoldingFactory()

    response = client.get(
        reverse("licensing:member_choices", args=[holding.pk]),
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver{SETTINGS_URL}",
        },
    )

    assert response.status_code == 200, response.content.decode()
    assert response.content == b""
    assert next_of(response["HX-Redirect"]) == SETTINGS_URL


@pytest.mark.django_db
def test_expired_session_sign_in_returns_to_page(client):
    holding = HoldingFactory(quantity=5)
    administrator = AdministratorFactory(organization=holding.organization)
    member = AssignmentFactory(holding=holding).member
    page = f"{SETTINGS_URL}?open={holding.pk}"

    response = client.post(
        reverse("licensing:remove", args=[holding.pk]),
        {"member": member.pk},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert Holding.objects.with_in_use().get(pk=holding.pk).in_use == 1
    sign_in_url = response["HX-Redirect"]
    signed_in = client.post(
        sign_in_url,
        {
            "username": administrator.email,
            "password": PASSWORD,
            "next": next_of(sign_in_url),
        },
        follow=True,
    )
    assert signed_in.status_code == 200, signed_in.content.decode()
    assert signed_in.redirect_chain[-1][0] == page
