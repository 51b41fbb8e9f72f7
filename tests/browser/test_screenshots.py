"""Screenshots of the two main pages on the demo data.

`make screenshots` runs this with UPDATE_SCREENSHOTS=1, which writes them to
docs/screenshots/ for the README; otherwise they go to a temporary folder.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from licensing.groups import ensure_groups
from tests.browser.conftest import BROWSER_TEST

pytestmark = BROWSER_TEST

DOCS_FOLDER = Path(settings.BASE_DIR) / "docs" / "screenshots"


def test_screenshots_of_main_pages(open_page, tmp_path):
    ensure_groups()  # the demo's administrators belong to these groups
    call_command("loaddata", "catalog", "demo", verbosity=0)
    folder = DOCS_FOLDER if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    member = User.objects.get(email="lucas.moreau@northwind.example")
    administrator = User.objects.get(email="amelia.hart@northwind.example")

    page = open_page(member)
    page.goto("/profile/licenses/")
    page.locator("details.license summary").first.click()
    page.screenshot(
        path=folder / "profile-licenses.png", full_page=True, animations="disabled"
    )

    screenshot_open_card(open_page(administrator), folder / "settings-licenses.png")

    # The same page for an administrator who chose French.
    administrator.language = "fr-ca"
    administrator.save(update_fields=["language"])
    page = open_page(administrator)
    screenshot_open_card(page, folder / "settings-licenses-fr-ca.png")
    assert page.locator("html").get_attribute("lang") == "fr-ca"

    for name in (
        "profile-licenses.png",
        "settings-licenses.png",
        "settings-licenses-fr-ca.png",
    ):
        assert (folder / name).stat().st_size > 10_000


def screenshot_open_card(page, path):
    """Save Settings > Licenses with the Virtual Fax card open."""
    page.goto("/settings/licenses/")
    page.locator("#license-virtual-fax summary").click()
    # The card's body arrives after it opens, in place of the placeholder
    # that loads it.
    page.locator("#license-virtual-fax .card-body:not([hx-get])").wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=path, full_page=True, animations="disabled")
