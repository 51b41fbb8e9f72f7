from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.db.backends.signals import connection_created

        from config.sqlite import install_unicode_like

        # Member search and sign-in compare names and emails regardless of
        # letter case, accented letters included.
        connection_created.connect(install_unicode_like)
