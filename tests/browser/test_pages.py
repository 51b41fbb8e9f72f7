"""Accessibility, Content Security Policy and narrow screens on every page.

The pages come from the URL configuration itself, so a new page is checked
without editing this file. The Django admin, which members and
administrators cannot open, is left out.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import URLPattern, URLResolver, get_resolver

from tests.browser.conftest import BROWSER_TEST

pytestmark = BROWSER_TEST

NARROW_WIDTH = 375
CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
BLOCKING_IMPACTS = {"serious", "critical"}


def page_routes(patterns=None, prefix=""):
    """Yield the route of every URL pattern outside the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                yield from page_routes(
                    pattern.url_patterns, prefix + str(pattern.pattern)
                )
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def fill_route(route, demo):
    """Turn a route into a path, with the demo's objects for its parameters."""
    values = {
        "holding_id": demo["huddle"].pk,
        "member_id": demo["member"].pk,
        "feature": "huddle",
    }
    return "/" + CONVERTER.sub(lambda match: str(values[match.group(1)]), route)


def open_html_pages(page, demo):
    """Visit each route; yield the path of those that answer with an HTML page."""
    for route in page_routes():
        path = fill_route(route, demo)
        # Ask first, with the page's cookies, so that a download or an image
        # is never opened as a page.
        content_type = page.request.get(path).headers.get("content-type", "")
        if content_type.startswith("text/html"):
            yield path, page.goto(path).status


@pytest.mark.parametrize("role", ["member", "administrator"])
def test_every_page_passes_axe_and_csp(open_page, demo, role):
    page = open_page(demo[role])
    axe = Axe()
    checked, problems = [], []

    for path, status in open_html_pages(page, demo):
        checked.append((path, status))
        violations = [
            violation
            for violation in axe.run(page).response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]
        problems += [
            f"{path}: {violation['id']} ({violation['impact']}): "
            f"{[node['target'] for node in violation['nodes']]}"
            for violation in violations
        ]

    checked_paths = {path for path, _ in checked}
    assert {"/profile/licenses/", "/settings/licenses/", "/settings/history/"} <= (
        checked_paths
    )
    assert problems == []
    assert page.watcher.csp_violations == []


@pytest.mark.parametrize("role", ["member", "administrator"])
def test_every_page_fits_narrow_screen(open_page, demo, role):
    page = open_page(demo[role], width=NARROW_WIDTH)
    too_wide = []

    for path, _ in open_html_pages(page, demo):
        for details in page.locator("details").all():
            details.evaluate("element => { element.open = true; }")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW_WIDTH:
            too_wide.append(f"{path}: {width} px")

    assert too_wide == []


def test_expanded_cards_pass_axe(open_page, demo):
    page = open_page(demo["administrator"])
    page.goto("/settings/licenses/")
    for summary in page.locator("details.license-card > summary").all():
        summary.click()
    page.locator("#license-huddle").get_by_label("Find an active member").fill("a")
    page.wait_for_load_state("networkidle")

    violations = Axe().run(page).response["violations"]

    assert [v["id"] for v in violations if v["impact"] in BLOCKING_IMPACTS] == []
    assert page.watcher.csp_violations == []
