import re

from playwright.sync_api import expect

from licensing.models import Assignment, Event
from tests.browser.conftest import BROWSER_TEST
from tests.factories import AssignmentFactory

pytestmark = BROWSER_TEST


def open_card(page, slug):
    page.goto("/settings/licenses/")
    card = page.locator(f"#license-{slug}")
    card.locator("summary").click()
    return card


def seat_counts(page, slug):
    return page.locator(f"#license-{slug} .seat-counts").inner_text().split()


def test_assign_and_remove_update_counts_without_reload(open_page, demo):
    page = open_page(demo["administrator"])
    card = open_card(page, "huddle")
    page.evaluate("window.loadedOnce = true")

    card.get_by_label("Find an active member").fill("turing")
    page.get_by_role(
        "button", name="Assign Huddle Video Conference to Alan Turing"
    ).click()

    expect(page.locator("#license-huddle .alert-success")).to_contain_text(
        "Alan Turing now holds Huddle Video Conference."
    )
    assert seat_counts(page, "huddle") == [
        "Total",
        "5",
        "In",
        "use",
        "2",
        "Remaining",
        "3",
    ]
    expect(page.locator("#seat-totals")).to_contain_text("3 of 7 limited seats in use")

    page.get_by_role(
        "button", name="Remove Huddle Video Conference from Grace Hopper"
    ).click()

    expect(page.locator("#license-huddle .alert-success")).to_contain_text(
        "Huddle Video Conference was removed from Grace Hopper."
    )
    assert seat_counts(page, "huddle") == [
        "Total",
        "5",
        "In",
        "use",
        "1",
        "Remaining",
        "4",
    ]
    assert page.evaluate("window.loadedOnce") is True
    assert Assignment.objects.filter(holding=demo["huddle"]).count() == 1


def test_assign_without_seat_left_shows_message(open_page, demo):
    page = open_page(demo["administrator"])
    card = open_card(page, "virtual-fax")
    card.get_by_label("Find an active member").fill("turing")
    assign = page.get_by_role("button", name="Assign Virtual Fax to Alan Turing")
    expect(assign).to_be_visible()
    # Another administrator takes the last seat while this page is open.
    AssignmentFactory(holding=demo["fax"], member=demo["others"][1])

    assign.click()

    expect(card.locator("[role=alert]")).to_contain_text(
        "No Virtual Fax seats remaining (2 of 2 in use)"
    )
    expect(card).to_contain_text(
        "All 2 seats in use. Remove Virtual Fax from a member to free a seat."
    )
    expect(card.get_by_label("Find an active member")).to_have_count(0)
    assert Assignment.objects.filter(holding=demo["fax"]).count() == 2


def test_double_click_on_assign_makes_one_assignment(open_page, demo):
    page = open_page(demo["administrator"])
    card = open_card(page, "huddle")
    card.get_by_label("Find an active member").fill("madonna")

    page.get_by_role(
        "button", name="Assign Huddle Video Conference to Madonna"
    ).dblclick()

    expect(page.locator("#license-huddle .alert")).to_be_visible()
    page.wait_for_load_state("networkidle")
    madonna = demo["others"][2]
    assert (
        Assignment.objects.filter(holding=demo["huddle"], member=madonna).count() == 1
    )
    assert (
        Event.objects.filter(member=madonna, action=Event.Action.ASSIGNED).count() == 1
    )


def test_expired_session_sends_htmx_click_to_sign_in_page(open_page, demo):
    page = open_page(demo["administrator"])
    card = open_card(page, "huddle")
    card.get_by_label("Find an active member").fill("turing")
    assign = page.get_by_role(
        "button", name="Assign Huddle Video Conference to Alan Turing"
    )
    expect(assign).to_be_visible()

    page.context.clear_cookies()  # as if the session ended in another tab
    assign.click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("details.license-card")).to_have_count(0)
    assert not Assignment.objects.filter(member=demo["others"][0]).exists()


def test_back_after_htmx_actions_shows_full_page(open_page, demo):
    page = open_page(demo["administrator"])
    card = open_card(page, "huddle")
    card.get_by_label("Find an active member").fill("turing")
    page.get_by_role(
        "button", name="Assign Huddle Video Conference to Alan Turing"
    ).click()
    expect(page.locator("#license-huddle .alert-success")).to_be_visible()

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    page.go_back()

    expect(page).to_have_url(re.compile(r"/settings/licenses/$"))
    expect(page.locator("header.navbar")).to_be_visible()
    expect(page.get_by_role("heading", name="Licenses", exact=True)).to_be_visible()
    expect(page.locator("#license-huddle .seat-counts")).to_contain_text(
        re.compile(r"In use\s*2")
    )


def test_member_sees_assignment_on_next_page_load(open_page, demo):
    administrator_page = open_page(demo["administrator"])
    member = demo["others"][1]
    member_page = open_page(member)
    member_page.goto("/profile/licenses/")
    expect(member_page.locator(".license-name")).to_have_text(["PBX Account"])

    card = open_card(administrator_page, "huddle")
    card.get_by_label("Find an active member").fill("piaf")
    administrator_page.get_by_role(
        "button", name="Assign Huddle Video Conference to Édith Piaf"
    ).click()
    expect(administrator_page.locator("#license-huddle .alert-success")).to_be_visible()
    member_page.reload()

    expect(member_page.locator(".license-name")).to_have_text(
        ["Huddle Video Conference", "PBX Account"]
    )


def test_assign_and_remove_with_keyboard_only(open_page, demo):
    page = open_page(demo["administrator"])
    page.goto("/settings/licenses/")
    card = page.locator("#license-huddle")
    card.locator("summary").focus()
    page.keyboard.press("Enter")
    search = card.get_by_label("Find an active member")
    search.focus()
    page.keyboard.type("turing")
    assign = page.get_by_role(
        "button", name="Assign Huddle Video Conference to Alan Turing"
    )
    expect(card.locator("[id^=choices] button")).to_have_count(1)

    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")  # the first match's Assign button
    assert assign.evaluate("button => button === document.activeElement")
    page.keyboard.press("Enter")
    notice = page.locator("#license-huddle .alert-success")
    expect(notice).to_contain_text("Alan Turing now holds Huddle Video Conference.")
    # portal.js moves the focus to the notice, where a screen reader reads it.
    expect(notice).to_be_focused()
    remove = page.get_by_role(
        "button", name="Remove Huddle Video Conference from Alan Turing"
    )
    remove.focus()
    page.keyboard.press("Enter")  # the confirmation dialog is accepted

    expect(page.locator("#license-huddle .alert-success")).to_contain_text(
        "Huddle Video Conference was removed from Alan Turing."
    )
    assert not Assignment.objects.filter(member=demo["others"][0]).exists()


def test_opened_card_loads_its_body_keeping_focus(open_page, demo):
    page = open_page(demo["administrator"])
    page.goto("/settings/licenses/")
    card = page.locator("#license-huddle")
    expect(card.get_by_label("Find an active member")).to_have_count(0)

    card.locator("summary").focus()
    page.keyboard.press("Enter")

    expect(card.get_by_label("Find an active member")).to_be_visible()
    expect(
        card.get_by_role("button", name=re.compile("^Remove Huddle"))
    ).not_to_have_count(0)
    assert card.locator("summary").evaluate(
        "summary => summary === document.activeElement"
    )
    # Closing and opening again keeps the body: it is loaded once.
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(card.locator(".card-body")).to_have_count(1)


def test_card_body_search_is_bound_when_inserted(open_page, demo):
    page = open_page(demo["administrator"])
    page.goto("/settings/licenses/")

    # A MutationObserver runs after the task that inserted the body ends, the
    # earliest moment a key press could reach the search box. htmx takes the
    # htmx-added class off new content when it binds its triggers.
    still_unbound = page.evaluate(
        """() => new Promise((resolve) => {
            const card = document.getElementById("license-huddle");
            new MutationObserver((records, observer) => {
                const search = card.querySelector("form[role=search]");
                if (search) {
                    observer.disconnect();
                    resolve(search.closest(".htmx-added") !== null);
                }
            }).observe(card, {childList: true, subtree: true});
            card.querySelector("summary").click();
        })"""
    )

    assert still_unbound is False


def test_language_switch_keeps_members_search(open_page, demo):
    page = open_page(demo["administrator"])
    page.goto("/settings/members/")
    page.get_by_label("Search").fill("turing")
    # htmx pushes the filtered address without reloading the page.
    expect(page).to_have_url(re.compile(r"q=turing"))

    page.locator("button.avatar").click()
    page.locator(".dropdown-menu").get_by_role(
        "button", name="Français (Canada)"
    ).click()

    expect(page.locator("html")).to_have_attribute("lang", "fr-ca")
    expect(page).to_have_url(re.compile(r"/settings/members/\?q=turing(&|$)"))
    expect(page.locator("#member-search")).to_have_value("turing")
