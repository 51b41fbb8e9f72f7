"""Who may open Settings, and lookups scoped to the signed-in organization."""

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

# The models that get_in_organization looks up, as its messages name them.
MODEL_NAMES = {"user": gettext_lazy("User"), "holding": gettext_lazy("Holding")}


def administrator_required(view):
    """Let through administrators of an organization; answer 403 to anyone else."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_administrator:
            logger.warning(
                "settings denied user=%s organization=%s path=%s",
                request.user.pk,
                request.user.organization_id,
                request.path,
            )
            raise PermissionDenied(
                _("Only your organization's administrators can open Settings.")
            )
        return view(request, *args, **kwargs)

    return wrapper


def get_in_organization(request, queryset, object_id):
    """Return the object with this id in the user's organization, or raise 404.

    Another organization's object is answered as if it did not exist.
    """
    model_name = queryset.model._meta.model_name
    found = queryset.filter(
        pk=object_id, organization_id=request.user.organization_id
    ).first()
    if found is None:
        logger.warning(
            "%s not found id=%s user=%s organization=%s",
            model_name,
            object_id,
            request.user.pk,
            request.user.organization_id,
        )
        name = MODEL_NAMES.get(model_name, queryset.model._meta.verbose_name)
        # 404.html shows the message because it contains the translation of
        # "was not found" (context "marks the portal's not-found messages").
        raise Http404(
            _("%(name)s %(id)s was not found in your organization.")
            % {"name": str(name).capitalize(), "id": object_id}
        )
    return found
