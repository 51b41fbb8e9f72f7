from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import parse_id

from . import services
from .models import Assignment, Capability, Event, Holding, LicenseType

SOURCE = Event.Source.ADMIN

# Fieldset titles of the catalog's two languages, each in its own language.
ENGLISH = dict(settings.LANGUAGES)["en"]
FRENCH = dict(settings.LANGUAGES)["fr-ca"]


@admin.register(Capability)
class CapabilityAdmin(admin.ModelAdmin):
    list_display = ["name", "name_fr", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "name_fr", "slug"]
    fieldsets = [
        (ENGLISH, {"fields": ["name", "slug"]}),
        (FRENCH, {"fields": ["name_fr"]}),
    ]


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "name_fr",
        "slug",
        "is_automatic",
        "regions",
        "requires_rollout",
    ]
    list_filter = ["is_automatic", "requires_rollout"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["includes", "capabilities", "rollout_organizations"]
    search_fields = ["name", "name_fr"]
    fieldsets = [
        (ENGLISH, {"fields": ["name", "slug", "summary", "description", "features"]}),
        (
            FRENCH,
            {"fields": ["name_fr", "summary_fr", "description_fr", "features_fr"]},
        ),
        (
            gettext_lazy("What it grants"),
            {"fields": ["capabilities", "includes", "is_automatic"]},
        ),
        (
            gettext_lazy("Availability"),
            {"fields": ["regions", "requires_rollout", "rollout_organizations"]},
        ),
        (None, {"fields": ["position"]}),
    ]


class SeatCountsMixin:
    """Read-only total, in use and remaining columns for holdings.

    The queryset must be annotated with `in_use` (HoldingQuerySet.with_in_use).
    """

    @admin.display(description=gettext_lazy("in use"))
    def in_use(self, holding):
        return getattr(holding, "in_use", None) if holding and holding.pk else "–"

    @admin.display(description=gettext_lazy("remaining"))
    def remaining(self, holding):
        if not holding or not holding.pk:
            return "–"
        if holding.quantity is None:
            return _("Unlimited")
        return max(holding.quantity - holding.in_use, 0)


class HoldingForm(forms.ModelForm):
    class Meta:
        model = Holding
        fields = ["organization", "license_type", "quantity", "low_seat_threshold"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        error_messages = {
            "quantity": {
                "min_value": gettext_lazy(
                    "The quantity %(value)s is invalid: enter 0 or more."
                ),
                "max_value": gettext_lazy(
                    "The quantity %(value)s is too large: enter at most "
                    "%(limit_value)s."
                ),
            },
            "low_seat_threshold": {
                "min_value": gettext_lazy(
                    "The threshold %(value)s is invalid: enter 0 or more."
                ),
                "max_value": gettext_lazy(
                    "The threshold %(value)s is too large: enter at most "
                    "%(limit_value)s."
                ),
            },
        }
        for name, field_messages in error_messages.items():
            if name in self.fields:
                self.fields[name].error_messages.update(field_messages)
        if self.instance.pk is not None:
            # A holding's organization and type are fixed once bought: remove
            # the holding and add another instead.
            for name in ("organization", "license_type"):
                if name in self.fields:
                    self.fields[name].disabled = True


class HoldingInline(SeatCountsMixin, admin.TabularInline):
    model = Holding
    form = HoldingForm
    fields = ["license_type", "quantity", "low_seat_threshold", "in_use", "remaining"]
    readonly_fields = ["in_use", "remaining"]
    extra = 0

    def get_queryset(self, request):
        return (
            super().get_queryset(request).with_in_use().select_related("license_type")
        )


def save_holding_formset(request, formset) -> None:
    """Save the holding rows of an organization through the service layer.

    Fills the lists that formset.save() would, which the admin reads to
    write its change message.
    """
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.deleted_forms:
        if form.instance.pk is not None:
            services.remove_holding(
                holding=form.instance, acting_user=request.user, source=SOURCE
            )
            formset.deleted_objects.append(form.instance)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        form.instance.organization = formset.instance
        is_new = form.instance.pk is None
        holding = save_holding_form(request, form)
        if is_new:
            formset.new_objects.append(holding)
        else:
            formset.changed_objects.append((holding, form.changed_data))


def save_holding_form(request, form) -> Holding:
    """Save a validated holding form through the service layer."""
    holding = form.instance
    if holding.pk is None:
        return services.add_holding(
            organization=holding.organization,
            license_type=holding.license_type,
            quantity=holding.quantity,
            low_seat_threshold=holding.low_seat_threshold,
            acting_user=request.user,
            source=SOURCE,
        )
    if "low_seat_threshold" in form.changed_data:
        services.set_low_seat_threshold(
            holding=holding,
            threshold=form.cleaned_data["low_seat_threshold"],
            acting_user=request.user,
            source=SOURCE,
        )
    return services.change_quantity(
        holding=holding,
        quantity=form.cleaned_data["quantity"],
        acting_user=request.user,
        source=SOURCE,
    )


@admin.register(Holding)
class HoldingAdmin(SeatCountsMixin, admin.ModelAdmin):
    form = HoldingForm
    list_display = ["license_type", "organization", "quantity", "in_use", "remaining"]
    list_filter = ["organization", "license_type"]
    list_select_related = ["license_type", "organization"]
    search_fields = [
        "organization__name",
        "license_type__name",
        "license_type__name_fr",
    ]
    readonly_fields = ["in_use", "remaining"]
    actions = ["remove_selected_holdings"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_in_use()

    def save_model(self, request, obj, form, change):
        saved = save_holding_form(request, form)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.remove_holding(holding=obj, acting_user=request.user, source=SOURCE)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for holding in queryset:
                services.remove_holding(
                    holding=holding, acting_user=request.user, source=SOURCE
                )

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        # Deleting through the service is the custom action below, which
        # releases the seats and records each release.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=gettext_lazy(
            "Remove the selected holdings and release their seats"
        ),
        permissions=["delete"],
    )
    def remove_selected_holdings(self, request, queryset):
        self.delete_queryset(request, queryset)
        removed = len(queryset)
        self.message_user(
            request,
            ngettext(
                "Removed %(count)s holding.", "Removed %(count)s holdings.", removed
            )
            % {"count": removed},
        )


class MemberAutocomplete(AutocompleteSelect):
    """The admin's member autocomplete, limited to one holding's organization.

    The holding id travels in the autocomplete URL; UserAdmin.get_search_results
    reads it and keeps only that organization's active members.
    """

    def __init__(self, field, admin_site, holding_id):
        super().__init__(field, admin_site)
        self.holding_id = holding_id

    def get_url(self):
        return f"{super().get_url()}?{urlencode({'holding': self.holding_id})}"

    def optgroups(self, name, value, attr=None):
        # Django looks the posted values up as ids to show them again; a value
        # such as "abc" would raise there, while the form already reports it
        # as not a member.
        ids = [item for item in value if str(item).isdecimal()]
        return super().optgroups(name, ids, attr)


class AssignmentAddForm(forms.ModelForm):
    """Assign a seat from the admin through the service layer.

    The assignment is written while the form is cleaned, inside the admin's
    transaction, so that a rule the service rejects shows as a form error
    instead of a success message. The admin then saves nothing more.
    """

    confirm_redundant = forms.BooleanField(
        required=False,
        label=gettext_lazy("Assign even if the member already has its capabilities"),
        help_text=gettext_lazy(
            "Another license of the member may already give everything this one "
            "does; tick to use a seat anyway."
        ),
    )

    class Meta:
        model = Assignment
        fields = ["holding", "member"]
        error_messages = {
            "holding": {
                "invalid_choice": gettext_lazy(
                    "That holding was not found. Choose one from the list."
                )
            },
            "member": {
                "invalid_choice": gettext_lazy(
                    "Member %(value)s was not found. Choose one from the list."
                )
            },
        }

    def clean(self):
        cleaned_data = super().clean()
        holding, member = cleaned_data.get("holding"), cleaned_data.get("member")
        if holding is None or member is None:
            return cleaned_data
        try:
            self.instance = services.assign_license(
                holding=holding,
                member=member,
                acting_user=self.acting_user,
                source=SOURCE,
                confirm_redundant=cleaned_data.get("confirm_redundant", False),
            )
        except services.LicensingError as error:
            # Each seat rule is about giving this member a seat.
            self.add_error("member", str(error))
        except PermissionDenied as error:
            raise ValidationError(str(error)) from None
        return cleaned_data

    def validate_unique(self):
        # assign_license has checked it under the holding's row lock.
        pass


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "member",
        "license_type",
        "organization",
        "assigned_by",
        "assigned_at",
    ]
    list_filter = ["holding__organization", "holding__license_type"]
    list_select_related = [
        "member",
        "holding__license_type",
        "holding__organization",
        "assigned_by",
    ]
    search_fields = ["member__email", "member__full_name"]
    readonly_fields = ["holding", "member", "assigned_by", "assigned_at"]
    actions = ["remove_selected_assignments"]
    form = AssignmentAddForm

    @admin.display(
        description=gettext_lazy("license type"), ordering="holding__license_type"
    )
    def license_type(self, assignment):
        return assignment.holding.license_type

    @admin.display(
        description=gettext_lazy("organization"), ordering="holding__organization"
    )
    def organization(self, assignment):
        return assignment.holding.organization

    def has_change_permission(self, request, obj=None):
        # An assignment is given or taken back, never edited.
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def add_view(self, request, form_url="", extra_context=None):
        holding = self._holding_from_request(request)
        if holding is None:
            return self._choose_holding(request)
        return super().add_view(request, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        form_class.acting_user = request.user
        return form_class

    def get_changeform_initial_data(self, request):
        return {"holding": request.GET.get("holding")}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        holding = self._holding_from_request(request)
        if holding is not None and db_field.name == "holding":
            kwargs["queryset"] = Holding.objects.filter(pk=holding.pk)
        if holding is not None and db_field.name == "member":
            # The autocomplete offers the organization's active members; any
            # other posted id reaches the service, whose message names it.
            kwargs["widget"] = MemberAutocomplete(db_field, self.admin_site, holding.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # AssignmentAddForm.clean has already assigned the seat.
        pass

    def delete_model(self, request, obj):
        services.remove_license(
            holding=obj.holding,
            member=obj.member,
            acting_user=request.user,
            source=SOURCE,
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for assignment in queryset.select_related("holding", "member"):
                self.delete_model(request, assignment)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(
        description=gettext_lazy(
            "Remove the selected assignments and free their seats"
        ),
        permissions=["delete"],
    )
    def remove_selected_assignments(self, request, queryset):
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(
            request,
            _("Removed %(seats)s.") % {"seats": services.count_seats(count)},
        )

    def _holding_from_request(self, request):
        holding_id = parse_id(request.GET.get("holding") or request.POST.get("holding"))
        if holding_id is None:
            return None
        return (
            Holding.objects.select_related("organization", "license_type")
            .filter(pk=holding_id, license_type__is_automatic=False)
            .first()
        )

    def _choose_holding(self, request):
        holdings = (
            Holding.objects.filter(license_type__is_automatic=False)
            .select_related("organization", "license_type")
            .order_by("organization__name", "license_type__position")
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Choose the holding to assign a seat from"),
            "holdings": holdings,
            "add_url": reverse("admin:licensing_assignment_add"),
            "error": _("Choose a holding from the list.")
            if "holding" in request.GET
            else "",
        }
        return render(
            request, "admin/licensing/assignment/choose_holding.html", context
        )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """History events, shown read-only: nothing edits or deletes them."""

    list_display = [
        "occurred_at",
        "organization",
        "action",
        "license_name",
        "member_email",
        "actor_email",
        "source",
        "detail",
    ]
    list_filter = ["organization", "action", "source"]
    list_select_related = ["organization"]
    search_fields = ["member_email", "actor_email", "license_name"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
