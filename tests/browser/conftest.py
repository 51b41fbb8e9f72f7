"""Fixtures for tests that drive Debian's Chromium against a live server.

Without Chromium these tests are skipped with the reason, except under CI
(CI=true), where a missing browser fails the run.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import sync_playwright

from licensing.models import Holding, LicenseType
from tests.factories import AdministratorFactory, AssignmentFactory, UserFactory

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Flags for a headless run on a machine without a display or outside network:
# the background-networking ones stop Chromium from calling home at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's synchronous API runs an asyncio event loop in the test thread,
# and Django refuses ORM calls from a thread with a running loop unless told
# that this is safe. The tests make ORM calls only between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Every browser test runs outside a test transaction, so that the live
# server's thread sees its rows. The flush after each such test deletes the
# groups that the migrations create; the factories create them again.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = (
            f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
            "or set CHROMIUM_PATH"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(fast_password_hasher):
    """An organization with a few members, two holdings and one seat left."""
    call_command("loaddata", "catalog", verbosity=0)
    administrator = AdministratorFactory(
        full_name="Ada Lovelace", organization__name="Acme"
    )
    organization = administrator.organization
    member = UserFactory(full_name="Grace Hopper", organization=organization)
    others = [
        UserFactory(full_name=name, organization=organization)
        for name in ("Alan Turing", "Édith Piaf", "Madonna")
    ]
    fax = Holding.objects.create(
        organization=organization,
        license_type=LicenseType.objects.get(slug="virtual-fax"),
        quantity=2,
    )
    huddle = Holding.objects.create(
        organization=organization,
        license_type=LicenseType.objects.get(slug="huddle"),
        quantity=5,
    )
    AssignmentFactory(holding=fax, member=member)
    AssignmentFactory(holding=huddle, member=member)
    return {
        "organization": organization,
        "administrator": administrator,
        "member": member,
        "others": others,
        "fax": fax,
        "huddle": huddle,
    }


class PageWatcher:
    """Collects the Content Security Policy violations a page reports."""

    def __init__(self, page):
        self.csp_violations = []
        page.on("console", self._on_console)

    def _on_console(self, message):
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)


@pytest.fixture
def open_page(browser, live_server):
    """Return a function that opens a new page, signed in as the given user."""
    contexts = []

    def open_page(user=None, *, width=1280):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.watcher = PageWatcher(page)
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_page
    for context in contexts:
        context.close()
