"""The catalog in English and Canadian French: accessors, admin and pages."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from licensing import services
from licensing.models import Capability, Event, LicenseType, is_french_active
from tests.admin_forms import admin_form_data
from tests.factories import (
    AssignmentFactory,
    EventFactory,
    HoldingFactory,
    LicenseTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FRENCH = {"Accept-Language": "fr-CA"}
ENGLISH = {"Accept-Language": "en"}


@pytest.fixture
def fax():
    """A license type with every French field filled."""
    fax = LicenseTypeFactory(
        name="Virtual Fax",
        slug="virtual-fax",
        summary="Send and receive faxes.",
        description="Faxes through the online service.",
        features="Send faxes\nReceive faxes",
        name_fr="Télécopie virtuelle",
        summary_fr="Envoyer et recevoir des télécopies.",
        description_fr="Des télécopies par le service en ligne.",
        features_fr="Envoyer des télécopies\n\n  Recevoir des télécopies  \n",
    )
    fax.capabilities.add(
        Capability.objects.create(
            slug="fax", name="Virtual fax", name_fr="Télécopie virtuelle"
        )
    )
    return fax


@pytest.fixture
def untranslated():
    """A license type and capability without any French text."""
    license_type = LicenseTypeFactory(
        name="Professional",
        summary="Core calling license.",
        description="The main license.",
        features="Voicemail",
    )
    license_type.capabilities.add(
        Capability.objects.create(slug="voicemail", name="Voicemail")
    )
    return license_type


def contains(response, text):
    return html.escape(text) in response.content.decode()


# Accessors


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr-ca", True), ("fr", True), ("en", False), ("en-us", False)],
)
def test_is_french_active(language, expected):
    with translation.override(language):
        assert is_french_active() is expected


def test_accessors_french_when_french_active(fax):
    with translation.override("fr-ca"):
        assert fax.display_name == "Télécopie virtuelle"
        assert str(fax) == "Télécopie virtuelle"
        assert fax.display_summary == "Envoyer et recevoir des télécopies."
        assert fax.display_description == "Des télécopies par le service en ligne."
        assert fax.display_feature_list == [
            "Envoyer des télécopies",
            "Recevoir des télécopies",
        ]
        assert fax.capabilities.get().display_name == "Télécopie virtuelle"


def test_accessors_english_when_english_active(fax):
    with translation.override("en"):
        assert fax.display_name == "Virtual Fax"
        assert str(fax) == "Virtual Fax"
        assert fax.display_summary == "Send and receive faxes."
        assert fax.display_description == "Faxes through the online service."
        assert fax.display_feature_list == ["Send faxes", "Receive faxes"]
        assert str(fax.capabilities.get()) == "Virtual fax"


def test_accessors_fall_back_to_english(untranslated):
    with translation.override("fr-ca"):
        assert untranslated.display_name == "Professional"
        assert str(untranslated) == "Professional"
        assert untranslated.display_summary == "Core calling license."
        assert untranslated.display_description == "The main license."
        assert untranslated.display_feature_list == ["Voicemail"]
        assert untranslated.capabilities.get().display_name == "Voicemail"


def test_accessors_fall_back_field_by_field():
    license_type = LicenseTypeFactory(
        name="Ultimate", summary="Every feature.", summary_fr="Toutes les fonctions."
    )

    with translation.override("fr-ca"):
        assert license_type.display_name == "Ultimate"
        assert license_type.display_summary == "Toutes les fonctions."


def test_event_name_french_when_type_has_one(fax):
    event = EventFactory(license_type=fax)

    with translation.override("fr-ca"):
        assert event.display_license_name == "Télécopie virtuelle"
    with translation.override("en"):
        assert event.display_license_name == "Virtual Fax"


def test_event_name_recorded_when_type_deleted(fax):
    event = EventFactory(license_type=None, license_name="Old Fax")

    with translation.override("fr-ca"):
        assert event.display_license_name == "Old Fax"


def test_event_records_english_name(fax, organization, administrator):
    holding = HoldingFactory(organization=organization, license_type=fax)
    member = UserFactory(organization=organization)

    with translation.override("fr-ca"):
        services.assign_license(
            holding=holding, member=member, acting_user=administrator
        )

    assert Event.objects.get().license_name == "Virtual Fax"


def test_service_message_uses_french_name(fax, organization, administrator):
    holding = HoldingFactory(organization=organization, license_type=fax)
    member = AssignmentFactory(holding=holding).member

    with (
        translation.override("fr-ca"),
        pytest.raises(services.LicensingError) as raised,
    ):
        services.assign_license(
            holding=holding, member=member, acting_user=administrator
        )

    assert "Télécopie virtuelle" in str(raised.value)


# French name uniqueness


def test_french_name_repeated_rejected_by_database(fax):
    with pytest.raises(IntegrityError), transaction.atomic():
        LicenseTypeFactory(name_fr="Télécopie virtuelle")


def test_french_names_may_all_be_empty():
    LicenseTypeFactory.create_batch(3, name_fr="")

    assert LicenseType.objects.filter(name_fr="").count() == 3


def test_french_name_repeated_rejected_by_clean(fax):
    other = LicenseTypeFactory.build(name="Fax Two", name_fr="Télécopie virtuelle")

    with pytest.raises(ValidationError) as raised:
        other.full_clean()

    assert "name_fr" in raised.value.message_dict
    assert "Virtual Fax already shows" in raised.value.message_dict["name_fr"][0]


def test_french_name_of_other_english_rejected(untranslated):
    other = LicenseTypeFactory.build(name="Pro", name_fr="Professional")

    with pytest.raises(ValidationError) as raised:
        other.full_clean()

    assert list(raised.value.message_dict) == ["name_fr"]


def test_english_name_of_other_french_rejected(fax):
    other = LicenseTypeFactory.build(name="Télécopie virtuelle", name_fr="")

    with pytest.raises(ValidationError) as raised:
        other.full_clean()

    assert list(raised.value.message_dict) == ["name"]
    assert "Give this type another French name" in raised.value.message_dict["name"][0]


def test_french_name_same_as_own_allowed():
    license_type = LicenseTypeFactory(name="Huddle", name_fr="Huddle")

    license_type.full_clean()


def test_english_name_repeated_keeps_unique_message(untranslated):
    other = LicenseTypeFactory.build(name="Professional", slug="professional-2")

    with pytest.raises(ValidationError) as raised:
        other.full_clean()

    assert raised.value.message_dict["name"] == [
        "License type with this Name already exists."
    ]


# Admin


def test_admin_change_page_shows_both_languages(superuser_client, fax):
    response = superuser_client.get(
        reverse("admin:licensing_licensetype_change", args=[fax.pk]), headers=ENGLISH
    )

    assert response.status_code == 200
    fieldsets = [
        fieldset.name for fieldset in response.context["adminform"] if fieldset.name
    ]
    assert fieldsets[:2] == ["English", "Français (Canada)"]
    for name in ("name_fr", "summary_fr", "description_fr", "features_fr"):
        assert f'name="{name}"' in response.content.decode()
    assert contains(response, "Télécopie virtuelle")


def test_admin_saves_both_languages(superuser_client, fax):
    url = reverse("admin:licensing_licensetype_change", args=[fax.pk])
    data = admin_form_data(superuser_client.get(url))
    data.update(
        name="Online Fax",
        summary="Faxes online.",
        name_fr="Télécopie en ligne",
        summary_fr="Des télécopies en ligne.",
        description_fr="Une description.",
        features_fr="Une fonction\nUne autre",
    )

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    fax.refresh_from_db()
    assert fax.name == "Online Fax"
    assert fax.summary == "Faxes online."
    assert fax.name_fr == "Télécopie en ligne"
    assert fax.summary_fr == "Des télécopies en ligne."
    assert fax.description_fr == "Une description."
    assert fax.features_fr == "Une fonction\nUne autre"


def test_admin_saves_type_without_french(superuser_client, fax):
    url = reverse("admin:licensing_licensetype_change", args=[fax.pk])
    data = admin_form_data(superuser_client.get(url))
    data.update(name_fr="", summary_fr="", description_fr="", features_fr="")

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    fax.refresh_from_db()
    assert fax.name_fr == ""
    with translation.override("fr-ca"):
        assert fax.display_name == "Virtual Fax"


def test_admin_rejects_repeated_french_name(superuser_client, fax, untranslated):
    url = reverse("admin:licensing_licensetype_change", args=[untranslated.pk])
    data = admin_form_data(superuser_client.get(url))
    data["name_fr"] = "Télécopie virtuelle"

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "name_fr" in errors
    untranslated.refresh_from_db()
    assert untranslated.name_fr == ""


def test_support_changes_capability_french_name(support_client, fax):
    capability = fax.capabilities.get()
    url = reverse("admin:licensing_capability_change", args=[capability.pk])
    page = support_client.get(url)
    data = admin_form_data(page)
    data["name_fr"] = "Télécopieur virtuel"

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    capability.refresh_from_db()
    assert capability.name_fr == "Télécopieur virtuel"
    fieldsets = [fieldset.name for fieldset in page.context["adminform"]]
    assert fieldsets == ["English", "Français (Canada)"]


def test_support_changes_license_type_french(support_client, fax):
    url = reverse("admin:licensing_licensetype_change", args=[fax.pk])
    data = admin_form_data(support_client.get(url))
    data["summary_fr"] = "Un résumé."

    response = support_client.post(url, data)

    assert response.status_code == 302, response.content.decode()
    fax.refresh_from_db()
    assert fax.summary_fr == "Un résumé."


def test_admin_search_finds_french_name(superuser_client, fax, untranslated):
    response = superuser_client.get(
        reverse("admin:licensing_licensetype_changelist"), {"q": "Télécopie"}
    )

    assert list(response.context["cl"].result_list) == [fax]


# Pages


@pytest.fixture
def member_with_fax(organization, fax, untranslated):
    holding = HoldingFactory(organization=organization, license_type=fax)
    HoldingFactory(organization=organization, license_type=untranslated)
    return AssignmentFactory(holding=holding, member__full_name="Zoé Tremblay").member


@pytest.fixture
def member_with_fax_client(client, member_with_fax):
    client.force_login(member_with_fax)
    return client


def test_profile_licenses_in_french(member_with_fax_client):
    response = member_with_fax_client.get(
        reverse("licensing:my_licenses"), headers=FRENCH
    )

    assert response.status_code == 200
    assert contains(response, "Télécopie virtuelle")
    assert contains(response, "Envoyer et recevoir des télécopies.")
    assert contains(response, "Des télécopies par le service en ligne.")
    assert contains(response, "Recevoir des télécopies")
    assert not contains(response, "Virtual Fax")
    assert not contains(response, "Send and receive faxes.")


def test_profile_licenses_in_english(member_with_fax_client):
    response = member_with_fax_client.get(
        reverse("licensing:my_licenses"), headers=ENGLISH
    )

    assert contains(response, "Virtual Fax")
    assert contains(response, "Send and receive faxes.")
    assert not contains(response, "Télécopie virtuelle")


def test_settings_licenses_in_french(administrator_client, member_with_fax):
    # The fax card open, to show its features too.
    [holding] = member_with_fax.assignments.values_list("holding", flat=True)
    response = administrator_client.get(
        reverse("licensing:organization_licenses"), {"open": holding}, headers=FRENCH
    )

    assert response.status_code == 200
    assert contains(response, "Télécopie virtuelle")
    assert contains(response, "Envoyer et recevoir des télécopies.")
    assert contains(response, "Envoyer des télécopies")
    # No French text: the English shows.
    assert contains(response, "Professional")
    assert contains(response, "Core calling license.")
    assert not contains(response, "Send and receive faxes.")


def test_settings_licenses_french_saved_on_user(
    administrator_client, administrator, member_with_fax
):
    administrator.language = "fr-ca"
    administrator.save(update_fields=["language"])

    response = administrator_client.get(
        reverse("licensing:organization_licenses"), headers=ENGLISH
    )

    assert contains(response, "Télécopie virtuelle")
    assert contains(response, "Envoyer et recevoir des télécopies.")


def test_settings_licenses_order_language_independent(
    administrator_client, member_with_fax
):
    names = {}
    for language, headers in (("en", ENGLISH), ("fr", FRENCH)):
        response = administrator_client.get(
            reverse("licensing:organization_licenses"), headers=headers
        )
        names[language] = [card.license_type.pk for card in response.context["cards"]]

    assert names["en"] == names["fr"]


def test_members_page_search_in_french(administrator_client, member_with_fax):
    response = administrator_client.get(
        reverse("licensing:members"), {"q": "Zoé"}, headers=FRENCH
    )

    assert response.status_code == 200
    assert [member.pk for member in response.context["page"]] == [member_with_fax.pk]
    assert contains(response, "Télécopie virtuelle")


def test_members_page_license_filter_in_french(
    administrator_client, member_with_fax, fax
):
    holding = fax.holdings.get()

    response = administrator_client.get(
        reverse("licensing:members"), {"license": holding.pk}, headers=FRENCH
    )

    assert [member.pk for member in response.context["page"]] == [member_with_fax.pk]
    choices = dict(response.context["form"].fields["license"].choices)
    assert choices[str(holding.pk)] == "Télécopie virtuelle"


def test_history_shows_french_name(administrator_client, organization, fax):
    EventFactory(organization=organization, license_type=fax)

    response = administrator_client.get(reverse("licensing:history"), headers=FRENCH)

    assert contains(response, "Télécopie virtuelle")


def test_troubleshooting_shows_french_capability(administrator_client, member_with_fax):
    response = administrator_client.get(
        reverse("licensing:troubleshooting"),
        {"member": member_with_fax.pk},
        headers=FRENCH,
    )

    assert response.status_code == 200
    assert contains(response, "Télécopie virtuelle")
    assert not contains(response, "Virtual fax")


def test_export_stays_english_in_french(administrator_client, member_with_fax):
    response = administrator_client.get(
        reverse("licensing:export_assignments"), headers=FRENCH
    )

    content = response.content.decode()
    assert "Virtual Fax," in content
    assert "Télécopie" not in content


@pytest.mark.parametrize(
    "url_name",
    ["licensing:my_licenses", "licensing:organization_licenses", "licensing:members"],
)
def test_french_costs_no_extra_query(client, administrator, member_with_fax, url_name):
    AssignmentFactory(
        holding=member_with_fax.assignments.get().holding, member=administrator
    )
    client.force_login(administrator)
    counts = {}
    for language, headers in (("en", ENGLISH), ("fr", FRENCH)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(url_name), headers=headers)
        assert response.status_code == 200
        counts[language] = len(queries)

    assert counts["fr"] == counts["en"]
