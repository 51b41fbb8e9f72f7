"""The French (Canada) catalog is complete, every visible string is marked,
and pages render in French for a browser that requests French.

The catalog checks run GNU gettext (msgfmt, xgettext, msgmerge), which `make`
also needs to compile the catalogs.
"""

import datetime
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType
from django.urls import reverse

from tests.factories import (
    AssignmentFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
)

BASE_DIR = Path(settings.BASE_DIR)
CATALOG = BASE_DIR / "locale" / "fr_CA" / "LC_MESSAGES" / "django.po"
TEMPLATES_DIR = BASE_DIR / "templates"
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr-CA,fr;q=0.9,en;q=0.5"}
NBSP = "\u00a0"

# The options of `make makemessages`.
MAKEMESSAGES_OPTIONS = {
    "locale": ["fr_CA"],
    "no_location": True,
    "no_obsolete": True,
    "ignore_patterns": ["staticfiles", "tests"],
}

# Attributes whose values people read or hear: tooltips, labels that screen
# readers announce, placeholders, image text and htmx's confirmation dialog,
# plus the data-message-* texts that portal.js shows.
VISIBLE_ATTRIBUTES = {
    "title",
    "alt",
    "placeholder",
    "label",
    "hx-confirm",
    "aria-label",
    "aria-description",
    "aria-roledescription",
    "aria-valuetext",
}
VISIBLE_ATTRIBUTE_PREFIXES = ("data-message-",)
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}

# Text that the template check accepts without a translate tag, by template
# and text, each with the reason. The check strips variables and tags first,
# so only literal words can appear here.
ALLOWED_UNMARKED: dict[tuple[str, str], str] = {}


def require_gettext():
    for program in ("msgfmt", "xgettext", "msgmerge"):
        assert shutil.which(program), (
            f"{program} from GNU gettext is missing: install the gettext package."
        )


# The catalog.


def catalog_problems(catalog: polib.POFile) -> dict[str, list[str]]:
    """Return the msgids of untranslated and fuzzy entries, by problem."""
    return {
        "untranslated": [entry.msgid for entry in catalog.untranslated_entries()],
        "fuzzy": [entry.msgid for entry in catalog.fuzzy_entries()],
    }


def test_catalog_problems_lists_untranslated_and_fuzzy():
    catalog = polib.pofile(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n > 1);\\n"\n\n'
        'msgid "Done"\nmsgstr "Fait"\n\n'
        'msgid "Open"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Close"\nmsgstr "Fermer"\n\n'
        'msgid "%(n)s seat"\nmsgid_plural "%(n)s seats"\n'
        'msgstr[0] "%(n)s siège"\nmsgstr[1] ""\n'
    )

    problems = catalog_problems(catalog)

    assert problems["untranslated"] == ["Open", "%(n)s seat"]
    assert problems["fuzzy"] == ["Close"]


def test_french_catalog_is_fully_translated():
    catalog = polib.pofile(str(CATALOG))

    problems = catalog_problems(catalog)

    assert problems["untranslated"] == [], "Translate these entries of the catalog."
    assert problems["fuzzy"] == [], (
        "Check these translations and drop their fuzzy flag."
    )
    assert not catalog.metadata_is_fuzzy, "The catalog header is marked fuzzy."
    assert catalog.metadata["Language"] == "fr_CA"
    assert catalog.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"


def test_french_catalog_passes_msgfmt_check():
    """msgfmt --check rejects placeholders that differ from the msgid's."""
    require_gettext()

    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "--output-file=/dev/null", CATALOG],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr, result.stderr
    assert "untranslated" not in result.stderr, result.stderr


def entry_keys(catalog: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural)
        for entry in catalog
        if not entry.obsolete
    }


def test_makemessages_finds_nothing_missing_from_catalog(tmp_path, monkeypatch):
    """makemessages, run on a copy of the project, adds no entry to the catalog.

    A string marked since the catalog was last updated would be added. The
    command writes into the copy, so the project's catalog stays as it is.
    """
    require_gettext()
    project = tmp_path / "project"
    shutil.copytree(
        BASE_DIR,
        project,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "staticfiles", "tests", "docs", "*.mo", "db.sqlite3*"
        ),
    )
    monkeypatch.chdir(project)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [project / "locale"])

    call_command("makemessages", verbosity=0, **MAKEMESSAGES_OPTIONS)

    fresh = entry_keys(polib.pofile(str(project / CATALOG.relative_to(BASE_DIR))))
    committed = entry_keys(polib.pofile(str(CATALOG)))
    assert sorted(fresh - committed, key=str) == [], (
        "Marked strings missing from the catalog: run `make makemessages` and "
        "translate the new entries."
    )
    assert sorted(committed - fresh, key=str) == [], (
        "Catalog entries no longer marked anywhere: run `make makemessages`."
    )


# Unmarked template text.


class VisibleTextParser(HTMLParser):
    """HTML parser that keeps the text nodes and visible attribute values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1
        attributes = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or name.startswith(
                VISIBLE_ATTRIBUTE_PREFIXES
            )
            if name == "value" and attributes.get("type") in BUTTON_INPUT_TYPES:
                visible = True
            if visible and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.texts.append(data)


def unmarked_strings(source: str) -> list[str]:
    """Return the text of a template that people see but no translate tag marks.

    Variables and tags become a placeholder without letters, and the text
    inside blocktranslate and comment blocks is dropped. What remains goes
    through an HTML parser, and every text node or visible attribute value
    that still contains a letter is returned.
    """
    skeleton = []
    inside = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if inside is None and name in ("blocktranslate", "blocktrans", "comment"):
                inside = name
            elif inside and name in (f"end{inside}",):
                inside = None
            skeleton.append("\ufffc")
        elif token.token_type == TokenType.TEXT and inside is None:
            skeleton.append(token.contents)
        elif token.token_type == TokenType.VAR:
            skeleton.append("\ufffc")
    parser = VisibleTextParser()
    parser.feed("".join(skeleton))
    parser.close()
    return [
        " ".join(text.split())
        for text in parser.texts
        if any(character.isalpha() for character in text)
    ]


def test_unmarked_strings_finds_text_outside_translate_tags():
    source = (
        "{% load i18n %}{# Not shown #}<h1>{% translate 'Licenses' %}</h1>\n"
        "<p>Seats left</p>\n"
        '<input placeholder="Name or email" class="form-control">\n'
        '<button aria-label="{{ label }}">{% translate "Remove" %}</button>\n'
        '<a title="Open it" href="/{{ path }}">{{ name }}</a>: –\n'
        '<input type="submit" value="Continue"><input type="hidden" value="x">\n'
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}\n"
        "{% comment %}A note{% endcomment %}<script src='a.js'>let a;</script>\n"
    )

    assert unmarked_strings(source) == [
        "Seats left",
        "Name or email",
        "Open it",
        "Continue",
    ]


def template_paths():
    return sorted(TEMPLATES_DIR.rglob("*.html"))


@pytest.mark.parametrize(
    "path", template_paths(), ids=lambda path: str(path.relative_to(TEMPLATES_DIR))
)
def test_template_marks_every_visible_string(path):
    name = str(path.relative_to(TEMPLATES_DIR))

    unmarked = [
        text
        for text in unmarked_strings(path.read_text(encoding="utf-8"))
        if (name, text) not in ALLOWED_UNMARKED
    ]

    assert unmarked == [], f"Mark these strings of {name} for translation."


# Pages in French.


@pytest.fixture
def french_client(administrator_client):
    administrator_client.defaults.update(FRENCH)
    return administrator_client


@pytest.fixture
def virtual_fax(organization):
    license_type = LicenseTypeFactory(name="Virtual Fax", slug="virtual-fax")
    holding = HoldingFactory(
        organization=organization, license_type=license_type, quantity=1500
    )
    for _ in range(3):
        AssignmentFactory(holding=holding)
    return holding


def page_text(response) -> str:
    assert response.status_code == 200, response.content.decode()
    content = response.content.decode()
    content = re.sub(r"<[^>]+>", " ", content)
    # Collapses ASCII whitespace only: French numbers group digits with
    # non-breaking spaces, which str.split() would treat as whitespace.
    return re.sub(r"[ \t\r\n]+", " ", content)


@pytest.mark.django_db
def test_settings_licenses_page_in_french(french_client, virtual_fax):
    response = french_client.get(reverse("licensing:organization_licenses"))
    text = page_text(response)

    assert '<html lang="fr-ca">' in response.content.decode()
    assert "Paramètres" in text
    assert "Profil" in text
    assert "Se déconnecter" in text
    assert "Licences · Paramètres · Portail des licences" in text
    assert '<h2 id="licenses-heading" class="h3 me-auto">Licences</h2>' in (
        response.content.decode()
    )
    assert "Télécharger les attributions (CSV)" in text
    assert f"3 sur 1{NBSP}500 sièges limités utilisés, il en reste 1{NBSP}497" in text
    assert "pour 1 type de licence." in text
    assert "<dt>Utilisés</dt><dd>3</dd>" in response.content.decode()
    assert f"<dt>Restants</dt><dd>1{NBSP}497</dd>" in response.content.decode()
    assert "Voir les membres qui détiennent Virtual Fax" in text

    # The card's body, which the page loads when the card opens.
    response = french_client.get(
        reverse("licensing:license_details", args=[virtual_fax.pk]),
        headers={"HX-Request": "true"},
    )
    assert "Membres qui la détiennent (3)" in page_text(response)


@pytest.mark.django_db
def test_profile_licenses_page_in_french(french_client, administrator, virtual_fax):
    AssignmentFactory(holding=virtual_fax, member=administrator)

    response = french_client.get(reverse("licensing:my_licenses"))
    text = page_text(response)

    assert '<html lang="fr-ca">' in response.content.decode()
    assert "Licences · Profil · Portail des licences" in text
    assert '<h1 class="h5 text-body-secondary">Profil</h1>' in (
        response.content.decode()
    )
    assert '<h2 id="licenses-heading" class="h3">Licences</h2>' in (
        response.content.decode()
    )
    assert "Paramètres" in text
    assert "Les licences qui vous sont attribuées déterminent" in text
    assert "Fonctionnalités" in text


@pytest.mark.django_db
def test_pages_stay_english_without_french(administrator_client, virtual_fax):
    response = administrator_client.get(reverse("licensing:organization_licenses"))
    text = page_text(response)

    assert '<html lang="en">' in response.content.decode()
    assert "Settings" in text
    assert "3 of 1,500 limited seats in use, 1,497 remaining" in text
    assert "<dt>In use</dt><dd>3</dd>" in response.content.decode()


@pytest.mark.django_db
def test_history_dates_in_french(french_client, organization):
    EventFactory(
        organization=organization,
        occurred_at=datetime.datetime(2026, 12, 4, 14, 5, tzinfo=datetime.UTC),
    )

    response = french_client.get(reverse("licensing:history"))

    assert "4 déc. 2026, 14:05" in page_text(response)


@pytest.mark.django_db
def test_history_dates_in_english(administrator_client, organization):
    EventFactory(
        organization=organization,
        occurred_at=datetime.datetime(2026, 12, 4, 14, 5, tzinfo=datetime.UTC),
    )

    response = administrator_client.get(reverse("licensing:history"))

    assert "2026-12-04 14:05" in page_text(response)


@pytest.mark.django_db
def test_not_found_message_in_french(french_client):
    missing_holding = reverse("licensing:member_choices", args=[999_999])

    response = french_client.get(missing_holding)

    assert response.status_code == 404
    assert (
        f"Lot de licences 999999{NBSP}: cet élément est introuvable dans votre "
        "organisation." in response.content.decode()
    )


@pytest.mark.django_db
def test_request_error_messages_in_french(french_client):
    response = french_client.get(reverse("licensing:my_licenses"))

    assert 'data-message-failed="La requête a échoué (statut {status}).' in (
        response.content.decode()
    )
