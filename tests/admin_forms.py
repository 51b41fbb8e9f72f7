"""Helpers that submit the Django admin's own pages as a browser would."""

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME


def admin_form_data(response) -> dict:
    """Return the POST data of a rendered admin add or change page.

    The data contains the main form and every inline formset with its management
    form, filled with the values the page shows, so a test changes only the
    fields it is about. Disabled and read-only fields are left out, as a
    browser leaves them out.
    """
    assert response.status_code == 200, response.content.decode()
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data


def _add_form(data, form):
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        key = form.add_prefix(name)
        if isinstance(value, bool):
            # An unticked checkbox sends nothing.
            if value:
                data[key] = "on"
        elif value is None:
            data[key] = ""
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)


def action_data(action, objects, **fields) -> dict:
    """Return the POST data of a change list action run on `objects`."""
    return {
        "action": action,
        ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects],
        "index": "0",
        **fields,
    }


def messages_of(response) -> list[str]:
    """Return the texts of the messages that `response` shows or carries."""
    return [str(message) for message in response.context["messages"]]
