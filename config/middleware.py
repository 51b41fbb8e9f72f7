import functools
import zoneinfo

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render, resolve_url
from django.utils import timezone, translation
from django_htmx.http import HttpResponseClientRedirect

REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class HtmxLoginRedirectMiddleware:
    """Turn redirects answering htmx requests into full-page navigations.

    htmx follows a redirect inside the XMLHttpRequest and would swap the
    target page, typically the sign-in form after a session expired, into the
    fragment it was updating. The HX-Redirect header makes the browser load
    that page as a whole instead. A sign-in redirect returns the person to the
    page they were on, not to the URL of the fragment or the POST.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.htmx or response.status_code not in REDIRECT_STATUSES:
            return response
        location = response["Location"]
        current_page = request.htmx.current_url_abs_path
        if location.startswith(resolve_url(settings.LOGIN_URL)) and current_page:
            location = redirect_to_login(current_page)["Location"]
        return HttpResponseClientRedirect(location)


class UserLanguageMiddleware:
    """Activate the language saved on the signed-in user.

    LocaleMiddleware has already activated the language of the cookie or of
    Accept-Language. A saved choice overrides both, so it follows the user to
    every device. Users without one, and anonymous visitors, keep the
    LocaleMiddleware choice.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = frozenset(code for code, _ in settings.LANGUAGES)

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in and user.language in self.languages:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class TimezoneMiddleware:
    """Show times in the viewer's time zone.

    portal.js stores the browser's IANA time zone in the `timezone` cookie;
    until it is set, or when it names no known zone, times stay in UTC.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.COOKIES.get("timezone", "")
        if name in known_time_zones():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # The thread serves other requests next.
            timezone.deactivate()


@functools.cache
def known_time_zones() -> frozenset[str]:
    # available_timezones() reads the zone files from disk on every call.
    return frozenset(zoneinfo.available_timezones())


class MethodNotAllowedPageMiddleware:
    """Give 405 answers a page that says which methods the address accepts.

    require_POST and Django's class-based views answer a wrong method with an
    empty body, which browsers show as an error page of their own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.content:
            return response
        allowed = response.get("Allow", "")
        page = render(
            request,
            "405.html",
            {"method": request.method, "allowed": allowed},
            status=405,
        )
        page["Allow"] = allowed
        return page
