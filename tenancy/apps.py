from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "市町村"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from . import checks, rls, scope

        checks.register()
        post_migrate.connect(rls.install, dispatch_uid="tenancy_rls")
        user_logged_in.connect(scope.remember_at_sign_in, dispatch_uid="tenancy_sign_in")
