import logging
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")


def sign_in(client, email, password):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def test_healthz_answers_ok_while_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200, response.content.decode()
    assert response.content == b"ok\n"


def test_healthz_answers_503_without_database(client, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", fail)

    response = client.get("/healthz")

    assert response.status_code == 503, response.content.decode()
    assert b"database unavailable" in response.content


def test_sign_in_locks_out_after_five_failures(client, caplog):
    member = UserFactory(email="ann.lee@example.com")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        failed = sign_in(client, member.email, "wrong password")
        assert failed.status_code == 200, failed.content.decode()
    with caplog.at_level(logging.WARNING, logger="axes"):
        fifth = sign_in(client, member.email, "wrong password")
        locked = sign_in(client, member.email, PASSWORD)

    assert fifth.status_code == 429, fifth.content.decode()
    assert locked.status_code == 429, locked.content.decode()
    assert "Sign-in locked for 15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert any("locking out" in r.getMessage().lower() for r in caplog.records)


def test_lockout_ignores_email_letter_case(client):
    member = UserFactory(email="ann.lee@example.com")

    for attempt in range(settings.AXES_FAILURE_LIMIT):
        email = member.email.upper() if attempt % 2 else member.email
        sign_in(client, email, "wrong password")
    locked = sign_in(client, "Ann.Lee@Example.com", PASSWORD)

    assert locked.status_code == 429, locked.content.decode()


def test_fewer_failures_still_sign_in(client):
    member = UserFactory(email="ann.lee@example.com")

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, member.email, "wrong password")
    response = sign_in(client, member.email, PASSWORD)

    assert response.status_code == 302, response.content.decode()


def test_sign_in_matches_email_in_any_case(client):
    UserFactory(email="ann.lee@example.com")

    response = sign_in(client, "Ann.Lee@Example.COM", PASSWORD)

    assert response.status_code == 302, response.content.decode()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "Enter a correct email address and password. The password is "
            "case-sensitive.",
        ),
        (
            "fr-CA",
            "Saisissez une adresse courriel et un mot de passe valides. Le mot de "
            "passe distingue les majuscules des minuscules.",
        ),
    ],
)
def test_failed_sign_in_names_the_fields(client, language, message):
    member = UserFactory(email="ann.lee@example.com")

    response = client.post(
        LOGIN_URL,
        {"username": member.email, "password": "wrong password"},
        headers={"Accept-Language": language},
    )

    assert response.status_code == 200, response.content.decode()
    assert message in response.content.decode()


def run_settings_check(environment):
    """Import the settings in a new interpreter with `environment` set."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", **environment},
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )


def test_production_settings_require_secret_key():
    result = run_settings_check({"DEBUG": "false"})

    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is false" in result.stderr


def test_debug_flag_rejects_unknown_value():
    result = run_settings_check({"DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_production_settings_secure_cookies_and_hsts():
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "x" * 60,
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=settings.BASE_DIR,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000"]
