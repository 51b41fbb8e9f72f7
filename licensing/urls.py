from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "licensing"

urlpatterns = [
    path(
        "profile/",
        RedirectView.as_view(pattern_name="licensing:my_licenses"),
        name="profile",
    ),
    path("profile/licenses/", views.my_licenses, name="my_licenses"),
    path("apps/<slug:feature>/", views.feature_page, name="feature"),
    path(
        "settings/",
        RedirectView.as_view(pattern_name="licensing:organization_licenses"),
        name="settings",
    ),
    path(
        "settings/licenses/",
        views.organization_licenses,
        name="organization_licenses",
    ),
    path(
        "settings/licenses/export.csv",
        views.export_assignments,
        name="export_assignments",
    ),
    path("settings/history/", views.history, name="history"),
    path("settings/members/", views.members, name="members"),
    path(
        "settings/troubleshooting/",
        views.troubleshooting,
        name="troubleshooting",
    ),
    path("settings/members/bulk/", views.bulk_change, name="bulk_change"),
    path(
        "settings/members/<int:member_id>/",
        views.member_panel,
        name="member_panel",
    ),
    path(
        "settings/members/<int:member_id>/licenses/",
        views.change_member_license,
        name="change_member_license",
    ),
    path(
        "settings/licenses/<int:holding_id>/",
        views.license_details,
        name="license_details",
    ),
    path(
        "settings/licenses/<int:holding_id>/members/",
        views.member_choices,
        name="member_choices",
    ),
    path(
        "settings/licenses/<int:holding_id>/assign/",
        views.assign,
        name="assign",
    ),
    path(
        "settings/licenses/<int:holding_id>/remove/",
        views.remove,
        name="remove",
    ),
]
