from django.conf import settings


def language_choices(request):
    """Template context: the languages of the language menu, as (code, name).

    The names come from settings.LANGUAGES untranslated, each written in its
    own language. Django's get_available_languages tag would translate them.
    """
    return {"language_choices": settings.LANGUAGES}
