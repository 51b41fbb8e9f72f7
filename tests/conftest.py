import pytest

from tests.factories import AdministratorFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Django's default PBKDF2 hasher runs over a million iterations per password,
    # and some tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organization(db):
    return OrganizationFactory()


@pytest.fixture
def administrator(organization):
    return AdministratorFactory(organization=organization)


@pytest.fixture
def member(organization):
    return UserFactory(organization=organization)


@pytest.fixture
def administrator_client(client, administrator):
    client.force_login(administrator)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client
