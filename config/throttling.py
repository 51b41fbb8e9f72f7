def username_for_lockout(request, credentials):
    """Return the sign-in email as django-axes counts failures for it.

    Sign-in ignores letter case, so "Ana@X.example" and "ana@x.example" share
    one failure count.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return username.strip().lower()
