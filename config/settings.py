"""Settings for the licenses portal.

Every environment variable is read in this file. Unset, they give a
development setup on a laptop. Production sets at least:

- DEBUG=false, which turns on secure cookies, HSTS and HTTPS redirects
- SECRET_KEY (required when DEBUG is false)
- ALLOWED_HOSTS and CSRF_TRUSTED_ORIGINS, comma-separated
- DATABASE_URL, for example postgres://user@db.example:5432/portal

SECURE_SSL_REDIRECT=false turns the HTTPS redirect off where no TLS proxy
stands in front, as in `make serve` on loopback.
"""

import os
from datetime import timedelta
from pathlib import Path

import bootstrap_wrapper
import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")
    return value.lower() == "true"


DEBUG = env_flag("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is false. Generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    SECRET_KEY = "django-insecure-development-only-key-not-for-deployment"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Behind a TLS-terminating proxy, which sets X-Forwarded-Proto and strips it
# from clients.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = 0 if DEBUG else 31_536_000  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "accounts",
    "licensing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Where Django's documentation places it: after sessions, and before
    # CommonMiddleware, which needs the activated language to resolve URLs.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Runs after LocaleMiddleware and AuthenticationMiddleware, because a
    # signed-in user's saved language overrides the cookie and Accept-Language.
    "config.middleware.UserLanguageMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.HtmxLoginRedirectMiddleware",
    "config.middleware.TimezoneMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns lockouts raised below into pages.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "licensing.views.features.navigation",
                "config.context_processors.language_choices",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE makes every transaction take the write
    # lock when it begins, so two seat checks cannot interleave, and WAL lets
    # readers go on while a writer holds it. Writers wait up to `timeout` seconds.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

AUTH_USER_MODEL = "accounts.User"
SILENCED_SYSTEM_CHECKS = [
    # auth.W004 asks for unique=True on the sign-in field. The email address is
    # unique through a constraint on Lower("email") instead, which also rejects
    # addresses that differ only in letter case, and sign-in looks it up with
    # the same Lower().
    "auth.W004",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
AUTHENTICATION_BACKENDS = [
    # Refuses sign-in while a username and address pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling: after 5 failures for one email from one address, that
# pair is locked out for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Emails sign in regardless of letter case, so lockouts ignore it too.
AXES_USERNAME_CALLABLE = "config.throttling.username_for_lockout"
# REMOTE_ADDR is the client, or the proxy in front; set
# AXES_IPWARE_PROXY_COUNT when a proxy's X-Forwarded-For is trustworthy.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "licensing:my_licenses"
LOGOUT_REDIRECT_URL = "login"

# LocaleMiddleware takes the language from the django_language cookie, else
# from the browser's Accept-Language header, else LANGUAGE_CODE. "fr" and the
# other French variants get fr-ca, the supported variant of the same language.
# config.middleware.UserLanguageMiddleware then applies a signed-in user's
# saved choice over all three.
LANGUAGE_CODE = "en"
# Each language is named in itself, untranslated, so that a language menu
# shows every reader the name of their own language.
LANGUAGES = [
    ("en", "English"),
    ("fr-ca", "Français (Canada)"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Overrides of a few named formats per language, in config/formats/.
FORMAT_MODULE_PATH = ["config.formats"]
# The cookie keeps the language menu's choice for a year. A signed-in user's
# choice is also saved on the user (accounts.views.set_language).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60  # seconds
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SECURE_SSL_REDIRECT
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap's compiled CSS and JavaScript, as the bootstrap-wrapper package
    # installs them, served under static/bootstrap/.
    ("bootstrap", bootstrap_wrapper.get_bootstrap_dir()),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Scripts and styles come only from the portal's own static files: no inline
# code, no eval. htmx is configured in base.html to need neither. Images may
# also be data: URLs, which Bootstrap's CSS uses for select arrows and icons.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# Adds /benchmark/ping, a trivial signed-in view that the benchmark measures
# every page against. Off everywhere else.
BENCHMARK_VIEWS = env_flag("BENCHMARK_VIEWS", False)

# Memory of each worker process. Entries are keyed by every input they are
# built from (licensing.charts), so workers never need to share or expire them.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own configuration gives this logger a handler too; without
        # propagate off, each line would print twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # 4xx answers are logged by the views with the ids involved; keep
        # Django's tracebacks for server errors only.
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": False,
        },
        # django-axes logs every sign-in at INFO; lockouts come at WARNING.
        "axes": {"level": "WARNING"},
    },
}
