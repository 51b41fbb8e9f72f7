from django_htmx.http import HttpResponseClientRedirect


class HtmxLoginRedirectMiddleware:
    """Turn redirects answering htmx requests into full-page navigations.

    htmx follows a redirect inside the XMLHttpRequest and would swap the
    target page, typically the sign-in form after a session expired, into the
    fragment it was updating. The HX-Redirect header makes the browser load
    that page as a whole instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.htmx and response.status_code in (301, 302, 303, 307, 308):
            return HttpResponseClientRedirect(response["Location"])
        return response
