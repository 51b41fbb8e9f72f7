"""The language choice of the avatar menu."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from licensing.forms import shown_value

logger = logging.getLogger(__name__)


@login_not_required
@require_POST
def set_language(request):
    """Switch the portal's language and redirect back to the page.

    Saves the choice on the signed-in user, which UserLanguageMiddleware
    applies on every later request and device, and in the language cookie,
    which is all an anonymous visitor gets.
    """
    posted = request.POST.get("language", "")
    # Language tags ignore case: fr-CA, fr_CA and fr-ca name the same one.
    language = translation.to_language(posted)
    languages = dict(settings.LANGUAGES)
    if language not in languages:
        logger.info(
            "language rejected user=%s value=%r",
            request.user.pk,
            shown_value(posted),
        )
        return HttpResponseBadRequest(
            _invalid_language_message(posted, languages),
            content_type="text/plain; charset=utf-8",
        )
    user = request.user
    if user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    translation.activate(language)
    response = HttpResponseRedirect(_next_url(request))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _invalid_language_message(language: str, languages: dict[str, str]) -> str:
    choices = ", ".join(f"{code} ({name})" for code, name in languages.items())
    if not language:
        return gettext("The language is missing. Choose one of: %(choices)s.") % {
            "choices": choices
        }
    return gettext(
        "“%(value)s” is not a language of the portal. Choose one of: %(choices)s."
    ) % {"value": shown_value(language), "choices": choices}


def _next_url(request) -> str:
    """Return `next`, else the referring page, when it is on this site; else home."""
    for url in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
    return reverse("home")
