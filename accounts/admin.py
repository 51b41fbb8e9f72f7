from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from licensing import services as licensing_services
from licensing.admin import HoldingInline, save_holding_formset
from licensing.forms import QuotedModelChoiceField
from licensing.models import Event, Holding, LicenseType

from . import services
from .forms import UserChangeForm, UserCreationForm
from .models import Organization, User, parse_id

SOURCE = Event.Source.ADMIN


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]
    inlines = [HoldingInline]

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        # Nobody may delete events one by one, but an organization takes its
        # whole history with it.
        perms_needed.discard(Event._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def save_formset(self, request, form, formset, change):
        if formset.model is Holding:
            save_holding_formset(request, formset)
        else:
            super().save_formset(request, form, formset, change)


class AdministratorFilter(admin.SimpleListFilter):
    title = gettext_lazy("administrator")
    parameter_name = "administrator"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_organization_administrator=True)
        if self.value() == "no":
            return queryset.filter(is_organization_administrator=False)
        return queryset


class UncheckedModelChoiceField(forms.ModelChoiceField):
    """A model select whose posted value the form leaves as it is."""

    def clean(self, value):
        return value


class AssignLicenseActionForm(admin.helpers.ActionForm):
    # The action checks the license type and names a bad value. Checked here,
    # a bad value would make the whole action form invalid, and Django would
    # answer only "No action selected".
    license_type = UncheckedModelChoiceField(
        queryset=LicenseType.objects.all(),
        required=False,
        empty_label=gettext_lazy("License type to assign…"),
        label="",
    )
    confirm_redundant = forms.BooleanField(
        required=False, label=gettext_lazy("Assign even if redundant")
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    action_form = AssignLicenseActionForm
    actions = [
        "assign_license_type",
        "deactivate_members",
        "reactivate_members",
        "grant_administrator_role",
        "revoke_administrator_role",
    ]
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "organization",
        "is_active",
        "administrator",
        "is_staff",
    ]
    list_filter = ["organization", "is_active", AdministratorFilter, "is_staff"]
    list_select_related = ["organization"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (
            gettext_lazy("Profile"),
            {"fields": ["full_name", "organization", "language"]},
        ),
        (
            gettext_lazy("Permissions"),
            {
                "fields": [
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ]
            },
        ),
        (gettext_lazy("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "full_name",
                    "organization",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_administrator_flag()

    @admin.display(
        boolean=True,
        ordering="is_organization_administrator",
        description=gettext_lazy("administrator"),
    )
    def administrator(self, user):
        return user.is_organization_administrator

    def get_readonly_fields(self, request, obj=None):
        # Only superusers grant permissions, groups and staff access; support
        # staff change the administrator role through the actions, which
        # record it in the history.
        if request.user.is_superuser:
            return ["last_login", "date_joined"]
        return [
            "is_staff",
            "is_superuser",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
        ]

    def has_view_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        # Only superusers change other staff accounts, their passwords
        # included, so nobody gains permissions they were not given.
        if self._is_protected(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._is_protected(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def _is_protected(self, request, obj):
        return (
            obj is not None
            and not request.user.is_superuser
            and (obj.is_superuser or (obj.is_staff and obj.pk != request.user.pk))
        )

    def save_model(self, request, obj, form, change):
        # Deactivation and moving to another organization release seats, so
        # they go through the services; the other fields are saved first.
        if change and "is_active" in form.changed_data:
            obj.is_active = form.initial["is_active"]
        if change and "organization" in form.changed_data:
            obj.organization_id = form.initial["organization"]
        obj._was_administrator = change and services.in_administrators_group(obj)
        super().save_model(request, obj, form, change)
        if not change and obj.organization_id is not None:
            services.record_member_added(
                member=obj, acting_user=request.user, source=SOURCE
            )
        if change and "organization" in form.changed_data:
            services.move_member(
                member=obj,
                organization=form.cleaned_data["organization"],
                acting_user=request.user,
                source=SOURCE,
            )
        if change and "is_active" in form.changed_data:
            self._set_active(request, obj, form.cleaned_data["is_active"])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if not change or user.organization_id is None:
            return
        in_group = services.in_administrators_group(user)
        if in_group != user._was_administrator:
            # A superuser changed the groups directly: record the role change.
            licensing_services.record_event(
                Event.Action.ADMINISTRATOR_GRANTED
                if in_group
                else Event.Action.ADMINISTRATOR_REVOKED,
                organization_id=user.organization_id,
                acting_user=request.user,
                source=SOURCE,
                member=user,
            )

    def delete_model(self, request, obj):
        services.delete_member(member=obj, acting_user=request.user, source=SOURCE)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            self.delete_model(request, user)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # The member autocomplete of the assignment form passes its holding:
        # offer only the active members of its organization who lack it.
        if (
            request.GET.get("model_name") == "assignment"
            and request.GET.get("field_name") == "member"
        ):
            holding_id = parse_id(request.GET.get("holding", ""))
            holding = Holding.objects.filter(pk=holding_id).first()
            if holding is None:
                return queryset.none(), False
            queryset = queryset.filter(
                organization_id=holding.organization_id, is_active=True
            ).exclude(assignments__holding=holding)
        return queryset, may_have_duplicates

    def response_action(self, request, queryset, **kwargs):
        # Support staff never act on superusers, in bulk as one by one.
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return super().response_action(request, queryset, **kwargs)

    @admin.action(
        description=gettext_lazy(
            "Assign the chosen license type to the selected users"
        ),
        permissions=["change"],
    )
    def assign_license_type(self, request, queryset):
        chosen = QuotedModelChoiceField(
            queryset=LicenseType.objects.all(),
            required=False,
            error_messages={
                "invalid_choice": gettext_lazy(
                    "“%(value)s” is not a license type of the catalog. Choose one "
                    "beside the action. Nothing was changed."
                )
            },
        )
        try:
            license_type = chosen.clean(request.POST.get("license_type") or None)
        except ValidationError as error:
            self.message_user(request, error.messages[0], messages.ERROR)
            return
        if license_type is None:
            self.message_user(
                request,
                _("Choose a license type beside the action, then run it again."),
                messages.ERROR,
            )
            return
        if license_type.is_automatic:
            self.message_user(
                request,
                _(
                    "%(license)s is automatic: every member has it, so it cannot "
                    "be assigned. Nothing was changed."
                )
                % {"license": license_type},
                messages.ERROR,
            )
            return
        organization_ids = set(queryset.values_list("organization_id", flat=True))
        if len(organization_ids) != 1 or None in organization_ids:
            self.message_user(
                request,
                _(
                    "Select members of one organization only: seats come from "
                    "one organization's holding. Nothing was changed."
                ),
                messages.ERROR,
            )
            return
        holding = Holding.objects.filter(
            organization_id=organization_ids.pop(), license_type=license_type
        ).first()
        if holding is None:
            self.message_user(
                request,
                _(
                    "The selected members' organization holds no %(license)s. "
                    "Add a holding first. Nothing was changed."
                )
                % {"license": license_type},
                messages.ERROR,
            )
            return
        try:
            assigned = licensing_services.assign_license_to_members(
                holding=holding,
                members=queryset,
                acting_user=request.user,
                source=SOURCE,
                confirm_redundant=request.POST.get("confirm_redundant") == "on",
            )
        except (licensing_services.LicensingError, PermissionDenied) as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        selected = queryset.count()
        message = ngettext(
            "Assigned %(license)s to %(assigned)s of %(selected)s member.",
            "Assigned %(license)s to %(assigned)s of %(selected)s members.",
            selected,
        ) % {"license": license_type, "assigned": len(assigned), "selected": selected}
        if len(assigned) < selected:
            message = _("%(message)s The others already held it.") % {
                "message": message
            }
        self.message_user(request, message)

    @admin.action(
        description=gettext_lazy(
            "Deactivate the selected users and release their seats"
        ),
        permissions=["change"],
    )
    def deactivate_members(self, request, queryset):
        released = sum(self._set_active(request, user, False) for user in queryset)
        self.message_user(
            request,
            _("Deactivated; %(seats)s released.")
            % {"seats": licensing_services.count_seats(released)},
        )

    @admin.action(
        description=gettext_lazy("Reactivate the selected users (no seats come back)"),
        permissions=["change"],
    )
    def reactivate_members(self, request, queryset):
        for user in queryset:
            self._set_active(request, user, True)
        self.message_user(
            request, _("Reactivated. Assign their licenses again as needed.")
        )

    @admin.action(
        description=gettext_lazy(
            "Grant the administrator role to the selected members"
        ),
        permissions=["change"],
    )
    def grant_administrator_role(self, request, queryset):
        self._set_administrator(request, queryset, True)

    @admin.action(
        description=gettext_lazy(
            "Revoke the administrator role from the selected members"
        ),
        permissions=["change"],
    )
    def revoke_administrator_role(self, request, queryset):
        self._set_administrator(request, queryset, False)

    def _set_active(self, request, user, active):
        if active:
            services.reactivate_member(
                member=user, acting_user=request.user, source=SOURCE
            )
            return 0
        return services.deactivate_member(
            member=user, acting_user=request.user, source=SOURCE
        )

    def _set_administrator(self, request, queryset, is_administrator):
        if queryset.filter(organization__isnull=True).exists():
            self.message_user(
                request,
                _(
                    "Support staff belong to no organization and cannot be an "
                    "organization's administrator. Nothing was changed."
                ),
                messages.ERROR,
            )
            return
        changed = sum(
            services.set_administrator(
                member=user,
                is_administrator=is_administrator,
                acting_user=request.user,
                source=SOURCE,
            )
            for user in queryset
        )
        self.message_user(
            request,
            ngettext(
                "Changed the administrator role of %(count)s member.",
                "Changed the administrator role of %(count)s members.",
                changed,
            )
            % {"count": changed},
        )
