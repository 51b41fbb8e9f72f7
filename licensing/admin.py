from django.contrib import admin

from .models import Assignment, Event, Holding, LicenseType


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_automatic", "position"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["includes"]
    search_fields = ["name"]


@admin.register(Holding)
class HoldingAdmin(admin.ModelAdmin):
    list_display = ["license_type", "organization", "quantity"]
    list_filter = ["organization", "license_type"]
    list_select_related = ["license_type", "organization"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows without letting anyone add, edit or delete them here.

    Assignments change only through the service layer, which checks seats and
    records history; events are never edited.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["member", "holding", "assigned_by", "assigned_at"]
    list_filter = ["holding__organization", "holding__license_type"]
    list_select_related = [
        "member",
        "holding__license_type",
        "holding__organization",
        "assigned_by",
    ]
    search_fields = ["member__email", "member__full_name"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "organization",
        "action",
        "license_name",
        "member_email",
        "actor_email",
        "source",
    ]
    list_filter = ["organization", "action", "source"]
    list_select_related = ["organization"]
    search_fields = ["member_email", "actor_email", "license_name"]
