from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_GET
from django.views.generic import RedirectView

from accounts.forms import SignInForm
from accounts.views import set_language
from config.health import healthz


@login_not_required
@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico on pages that name no icon, such as the
    # Django admin's.
    return redirect(static("favicon.svg"), permanent=True)


@require_GET
def benchmark_ping(request):
    """Return plain text after the session and user lookups: the cheapest page."""
    return HttpResponse(f"ok {request.user.pk}\n", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", RedirectView.as_view(pattern_name="licensing:my_licenses"), name="home"),
    path("favicon.ico", favicon),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("licensing.urls")),
]

if settings.BENCHMARK_VIEWS:
    urlpatterns.append(path("benchmark/ping", benchmark_ping))
