import pytest
from django.core.cache import cache
from django.utils import translation

from tests.factories import (
    AdministratorFactory,
    OrganizationFactory,
    SuperuserFactory,
    SupportUserFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Django's default PBKDF2 hasher runs over a million iterations per password,
    # and some tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # The process-wide cache outlives each test's database rollback, and
    # SQLite reuses the ids that a rolled-back test took.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    # A request leaves its language active in the thread, and the tests share
    # the thread: each test starts and ends in settings.LANGUAGE_CODE.
    translation.deactivate()
    yield
    translation.deactivate()


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


@pytest.fixture
def support_user(db):
    return SupportUserFactory()


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client
