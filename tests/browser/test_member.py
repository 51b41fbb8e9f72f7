import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BROWSER_TEST

pytestmark = BROWSER_TEST


def test_avatar_menu_leads_to_profile_licenses(open_page, demo):
    page = open_page(demo["member"])
    page.goto("/")

    page.get_by_role("button", name="Account menu for Grace Hopper").click()
    menu = page.locator(".dropdown-menu")
    expect(menu.get_by_role("link", name="Profile")).to_be_visible()
    expect(menu.get_by_role("button", name="Sign out")).to_be_visible()
    menu.get_by_role("link", name="Profile").click()

    expect(page).to_have_url(re.compile(r"/profile/licenses/$"))
    expect(page.get_by_role("link", name="Licenses", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    names = page.locator("details.license .license-name").all_inner_texts()
    assert names == ["Huddle Video Conference", "Virtual Fax", "PBX Account"]


def test_license_expands_by_name_and_by_arrow(open_page, demo):
    page = open_page(demo["member"])
    page.goto("/profile/licenses/")
    license = page.locator("details.license").filter(has_text="Virtual Fax")
    features = license.get_by_role("heading", name="Features")

    license.locator(".license-name").click()
    expect(features).to_be_visible()
    license.locator(".license-name").click()
    expect(features).to_be_hidden()

    # The arrow is drawn at the right end of the summary.
    summary = license.locator("summary")
    box = summary.bounding_box()
    summary.click(position={"x": box["width"] - 12, "y": 16})
    expect(features).to_be_visible()
    summary.click(position={"x": box["width"] - 12, "y": 16})
    expect(features).to_be_hidden()


@pytest.mark.parametrize("key", ["Enter", " "])
def test_license_expands_with_keyboard(open_page, demo, key):
    page = open_page(demo["member"])
    page.goto("/profile/licenses/")
    license = page.locator("details.license").filter(has_text="Virtual Fax")
    summary = license.locator("summary")

    summary.focus()
    outline = summary.evaluate("element => getComputedStyle(element).outlineStyle")
    page.keyboard.press(key)
    expect(license).to_have_attribute("open", "")
    page.keyboard.press(key)

    assert outline != "none"
    expect(license).not_to_have_attribute("open", "")


def test_member_sees_no_settings_and_gets_403(open_page, demo):
    page = open_page(demo["member"])
    page.goto("/profile/licenses/")
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)

    response = page.goto("/settings/licenses/")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()


def test_member_without_licenses_sees_administrators(open_page, demo):
    page = open_page(demo["others"][0])

    page.goto("/profile/licenses/")

    note = page.get_by_role("note")
    expect(note).to_contain_text("Ada Lovelace")
    expect(note).to_contain_text(demo["administrator"].email)


def test_language_switch_with_keyboard(open_page, demo):
    page = open_page(demo["member"])
    page.goto("/profile/licenses/")
    french = page.locator(".dropdown-menu").get_by_role(
        "button", name="Français (Canada)"
    )

    page.locator("button.avatar").focus()
    page.keyboard.press("Enter")
    expect(french).to_be_visible()
    # Profile, English, then Français (Canada).
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(french).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    expect(page).to_have_url(re.compile(r"/profile/licenses/$"))
    names = page.locator("details.license .license-name").all_inner_texts()
    assert names == ["Vidéoconférence Huddle", "Télécopie virtuelle", "Compte PBX"]
    page.locator("button.avatar").click()
    expect(french).to_have_attribute("aria-current", "true")
    demo["member"].refresh_from_db()
    assert demo["member"].language == "fr-ca"
