import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from accounts.models import User
from tests.factories import (
    PASSWORD,
    AdministratorFactory,
    OrganizationFactory,
    SupportStaffFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def manage_licenses_permission():
    return Permission.objects.get(
        content_type__app_label="licensing", codename="manage_licenses"
    )


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("ada lovelace", "AL"),
        ("Cher", "C"),
        ("Mary Ann Smith", "MS"),
        ("  Grace   Hopper  ", "GH"),
    ],
)
def test_initials_use_first_and_last_word(full_name, expected):
    user = UserFactory.build(full_name=full_name)

    assert user.initials == expected


@pytest.mark.parametrize("full_name", ["", "   "])
def test_initials_of_blank_name_use_email(full_name):
    user = UserFactory.build(full_name=full_name, email="zoe.martin@example.com")

    assert user.initials == "Z"


@pytest.mark.parametrize(
    "full_name", ["E\u0301lodie Tremblay", "e\u0301lodie tremblay"]
)
def test_initials_keep_combining_accent(full_name):
    # "E" followed by U+0301 COMBINING ACUTE ACCENT is one grapheme, "É".
    user = UserFactory.build(full_name=full_name)

    assert user.initials == "E\u0301T"


def test_initials_keep_emoji_zwj_sequence_whole():
    # Woman, ZERO WIDTH JOINER, laptop: three code points, one grapheme.
    technologist = "\U0001f469\u200d\U0001f4bb"
    user = UserFactory.build(full_name=technologist)

    assert user.initials == technologist


def test_initials_keep_flag_emoji_whole():
    # A flag is two regional indicator symbols, here C and A for Canada.
    flag = "\U0001f1e8\U0001f1e6"
    user = UserFactory.build(full_name=flag)

    assert user.initials == flag


@pytest.mark.parametrize(
    "symbol",
    ["\U0001f469\u200d\U0001f4bb", "\U0001f1e8\U0001f1e6", "\U0001f680"],
)
def test_initials_prefer_words_starting_with_letter(symbol):
    user = UserFactory.build(full_name=f"{symbol} Dev Team")

    assert user.initials == "DT"


def test_initials_of_two_emoji_names_keep_both_whole():
    technologist = "\U0001f469\u200d\U0001f4bb"
    flag = "\U0001f1e8\U0001f1e6"
    user = UserFactory.build(full_name=f"{technologist} {flag}")

    assert user.initials == f"{technologist}{flag}"


def test_initials_keep_letter_whose_uppercase_is_longer():
    # "ß".upper() is "SS", which would make three letters of two initials.
    user = UserFactory.build(full_name="ßimon Weber")

    assert user.initials == "ßW"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ann.lee@example.com", "Ann.Lee@example.com"),
        ("ann.lee@example.com", "ANN.LEE@EXAMPLE.COM"),
    ],
)
def test_email_unique_regardless_of_case(first, second):
    UserFactory(email=first)

    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email=second)

    assert User.objects.filter(email__iexact=first).count() == 1


def test_email_constraint_message_on_validation():
    UserFactory(email="ann.lee@example.com")
    duplicate = UserFactory.build(email="Ann.Lee@Example.com")

    with pytest.raises(ValidationError) as raised:
        duplicate.validate_constraints()

    assert "A user with this email address already exists." in raised.value.messages


def sign_in_request():
    # django-axes, which throttles sign-in, needs the request to authenticate.
    return RequestFactory().post("/accounts/login/")


def test_sign_in_ignores_email_case():
    user = UserFactory(email="Ann.Lee@example.com")

    signed_in = authenticate(
        sign_in_request(), username="ann.lee@EXAMPLE.com", password=PASSWORD
    )

    assert signed_in == user


def test_sign_in_rejects_wrong_password():
    UserFactory(email="ann.lee@example.com")

    signed_in = authenticate(
        sign_in_request(), username="ann.lee@example.com", password="wrong"
    )

    assert signed_in is None


def test_is_administrator_true_for_administrators_group_member():
    assert AdministratorFactory().is_administrator is True


def test_is_administrator_true_for_direct_permission():
    user = UserFactory()
    user.user_permissions.add(manage_licenses_permission())

    assert User.objects.get(pk=user.pk).is_administrator is True


def test_is_administrator_false_for_plain_member():
    assert UserFactory().is_administrator is False


def test_is_administrator_false_without_organization():
    # Support staff in the Administrators group still belong to no organization.
    user = AdministratorFactory(organization=None, is_staff=True)

    assert user.has_perm("licensing.manage_licenses") is True
    assert user.is_administrator is False


def test_is_administrator_false_when_inactive():
    user = AdministratorFactory(is_active=False)

    assert user.is_administrator is False


def test_administrators_returns_group_and_direct_permission_holders():
    organization = OrganizationFactory()
    by_group = AdministratorFactory(organization=organization)
    by_permission = UserFactory(organization=organization)
    by_permission.user_permissions.add(manage_licenses_permission())
    UserFactory(organization=organization)
    AdministratorFactory(organization=organization, is_active=False)
    SupportStaffFactory()

    administrators = User.objects.administrators()

    assert set(administrators) == {by_group, by_permission}


def test_administrators_lists_each_administrator_once():
    # The user matches both the group condition and the direct one.
    user = AdministratorFactory()
    user.user_permissions.add(manage_licenses_permission())

    administrators = list(User.objects.administrators())

    assert administrators == [user]


def test_administrators_filter_by_organization():
    organization = OrganizationFactory()
    own = AdministratorFactory(organization=organization)
    AdministratorFactory()

    administrators = User.objects.filter(organization=organization).administrators()

    assert list(administrators) == [own]
