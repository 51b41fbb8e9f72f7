"""The language choice: the avatar menu, the view that saves it, the middleware."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import HoldingFactory, UserFactory

pytestmark = pytest.mark.django_db

LANGUAGE_URL = reverse("set_language")
PROFILE_URL = reverse("licensing:my_licenses")
LOGIN_URL = reverse("login")


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)">', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def language_buttons(response) -> list[str]:
    """Return each language button of the avatar menu as its opening tag."""
    return re.findall(r'<button[^>]*name="language"[^>]*>', response.content.decode())


# The view


def test_choice_saved_on_user(member_client, member):
    response = member_client.post(
        LANGUAGE_URL, {"language": "fr-ca", "next": PROFILE_URL}
    )

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    member.refresh_from_db()
    assert member.language == "fr-ca"


def test_choice_sets_cookie(member_client):
    response = member_client.post(LANGUAGE_URL, {"language": "fr-ca"})

    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "fr-ca"
    assert cookie["max-age"] == settings.LANGUAGE_COOKIE_AGE
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_choice_applies_to_next_page(member_client):
    response = member_client.post(
        LANGUAGE_URL, {"language": "fr-ca", "next": PROFILE_URL}, follow=True
    )

    assert response.status_code == 200
    assert html_lang(response) == "fr-ca"
    assert response["Content-Language"] == "fr-ca"


def test_english_choice_replaces_french(member_client, member):
    member.language = "fr-ca"
    member.save(update_fields=["language"])

    member_client.post(LANGUAGE_URL, {"language": "en"})

    member.refresh_from_db()
    assert member.language == "en"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("de", "“de” is not a language of the portal."),
        ("fr-FR", "“fr-FR” is not a language of the portal."),
        ("x" * 500, f"“{'x' * 24}…” is not a language of the portal."),
        ("", "The language is missing."),
    ],
)
def test_invalid_language_rejected_unchanged(member_client, member, value, shown):
    response = member_client.post(LANGUAGE_URL, {"language": value, "next": "/"})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert shown in text
    assert "Choose one of: en (English), fr-ca (Français (Canada))." in text
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    member.refresh_from_db()
    assert member.language == ""


@pytest.mark.parametrize("value", ["fr-CA", "FR-CA", "fr_CA"])
def test_language_tag_in_any_case_accepted(member_client, member, value):
    response = member_client.post(LANGUAGE_URL, {"language": value, "next": "/"})

    assert response.status_code == 302, response.content.decode()
    member.refresh_from_db()
    assert member.language == "fr-ca"


def test_language_after_post_uses_referer(administrator_client, organization):
    holding = HoldingFactory(organization=organization)
    # A browser without JavaScript posts the assign form; the answer's address
    # is the form's target, which takes no GET.
    page = reverse("licensing:organization_licenses")
    response = administrator_client.post(
        reverse("licensing:assign", args=[holding.pk]), {"member": "abc"}
    )
    assert 'name="next" value=""' in response.content.decode()

    switched = administrator_client.post(
        LANGUAGE_URL, {"language": "fr-ca", "next": ""}, headers={"Referer": page}
    )

    assert switched.status_code == 302
    assert switched["Location"] == page


def test_language_missing_from_form(member_client, member):
    response = member_client.post(LANGUAGE_URL, {"next": "/"})

    assert response.status_code == 400
    assert "The language is missing." in response.content.decode()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_not_allowed(member_client, member, method):
    response = getattr(member_client, method)(LANGUAGE_URL)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    member.refresh_from_db()
    assert member.language == ""


def test_anonymous_choice_sets_cookie_only(client):
    response = client.post(LANGUAGE_URL, {"language": "fr-ca", "next": LOGIN_URL})

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr-ca"
    assert html_lang(client.get(LOGIN_URL)) == "fr-ca"


def test_anonymous_invalid_language_rejected(client):
    response = client.post(LANGUAGE_URL, {"language": "klingon"})

    assert response.status_code == 400
    assert "“klingon”" in response.content.decode()


def test_choice_needs_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post(LANGUAGE_URL, {"language": "fr-ca"})

    assert response.status_code == 403
    member.refresh_from_db()
    assert member.language == ""


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/profile/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "https:///evil.example",
    ],
)
def test_foreign_next_refused(member_client, member, next_url):
    response = member_client.post(LANGUAGE_URL, {"language": "fr-ca", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    member.refresh_from_db()
    assert member.language == "fr-ca"


def test_foreign_referer_refused(member_client):
    response = member_client.post(
        LANGUAGE_URL,
        {"language": "fr-ca"},
        headers={"Referer": "https://evil.example/"},
    )

    assert response["Location"] == reverse("home")


def test_referer_used_without_next(member_client):
    response = member_client.post(
        LANGUAGE_URL,
        {"language": "fr-ca"},
        headers={"Referer": "http://testserver/settings/members/?q=a"},
    )

    assert response["Location"] == "http://testserver/settings/members/?q=a"


def test_next_keeps_query_string(member_client):
    response = member_client.post(
        LANGUAGE_URL, {"language": "en", "next": "/settings/members/?q=ada&page=2"}
    )

    assert response["Location"] == "/settings/members/?q=ada&page=2"


# The middleware


def test_saved_language_beats_accept_language(member_client, member):
    member.language = "fr-ca"
    member.save(update_fields=["language"])

    response = member_client.get(PROFILE_URL, headers={"Accept-Language": "en"})

    assert html_lang(response) == "fr-ca"
    assert response["Content-Language"] == "fr-ca"


def test_saved_english_beats_french_accept_language(member_client, member):
    member.language = "en"
    member.save(update_fields=["language"])

    response = member_client.get(PROFILE_URL, headers={"Accept-Language": "fr-CA"})

    assert html_lang(response) == "en"


def test_saved_language_beats_cookie(member_client, member):
    member.language = "en"
    member.save(update_fields=["language"])
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr-ca"

    response = member_client.get(PROFILE_URL)

    assert html_lang(response) == "en"


def test_saved_language_on_new_device(member):
    member.language = "fr-ca"
    member.save(update_fields=["language"])
    other_device = Client()
    other_device.force_login(member)

    response = other_device.get(PROFILE_URL, headers={"Accept-Language": "en-US"})

    assert html_lang(response) == "fr-ca"


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("fr-CA", "fr-ca"),
        ("fr-CA,fr;q=0.9,en;q=0.8", "fr-ca"),
        ("fr", "fr-ca"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE", "en"),
        ("", "en"),
    ],
)
def test_no_choice_follows_accept_language(member_client, accept_language, expected):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = member_client.get(PROFILE_URL, headers=headers)

    assert html_lang(response) == expected


def test_no_choice_follows_cookie(member_client):
    member_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr-ca"

    response = member_client.get(PROFILE_URL, headers={"Accept-Language": "en"})

    assert html_lang(response) == "fr-ca"


def test_sign_in_page_follows_accept_language(client):
    response = client.get(LOGIN_URL, headers={"Accept-Language": "fr-CA"})

    assert response.status_code == 200
    assert html_lang(response) == "fr-ca"


def test_sign_in_page_english_by_default(client):
    assert html_lang(client.get(LOGIN_URL)) == "en"


def test_saved_language_unused_after_sign_out(client, member):
    member.language = "fr-ca"
    member.save(update_fields=["language"])
    client.force_login(member)
    client.post(reverse("logout"))

    response = client.get(LOGIN_URL, headers={"Accept-Language": "en"})

    assert html_lang(response) == "en"


# The avatar menu


def test_menu_lists_both_languages(member_client):
    response = member_client.get(PROFILE_URL, headers={"Accept-Language": "en"})

    content = response.content.decode()
    assert f'action="{LANGUAGE_URL}"' in content
    assert f'<input type="hidden" name="next" value="{PROFILE_URL}">' in content
    assert ">English</button>" in content
    assert ">Français (Canada)</button>" in content


def test_menu_marks_current_language(member_client):
    response = member_client.get(PROFILE_URL, headers={"Accept-Language": "fr-CA"})

    english, french = language_buttons(response)
    assert 'value="en"' in english
    assert "aria-current" not in english
    assert 'value="fr-ca"' in french
    assert 'aria-current="true"' in french


def test_menu_absent_when_signed_out(client):
    response = client.get(LOGIN_URL)

    assert language_buttons(response) == []


def test_menu_next_escapes_query(member_client):
    response = member_client.get(reverse("licensing:my_licenses"), {"x": '"><script>'})

    content = response.content.decode()
    assert '"><script>' not in content
    assert 'name="next" value="/profile/licenses/?x=%22%3E%3Cscript%3E"' in content


def test_new_user_has_no_language():
    assert UserFactory().language == ""
