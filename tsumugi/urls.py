from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from areas import views as area_views

admin.site.site_header = "つむぎ 管理サイト"
admin.site.site_title = "つむぎ"

urlpatterns = [
    path("", area_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("areas.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/passkeys/api/", include("accounts.passkey_urls")),
    path("meetings/", include("meetings.urls")),
    path("cases/", include("cases.urls")),
    path("sheets/", include("sheets.urls")),
    path("plans/", include("plans.urls")),
    path("insight/", include("insight.urls")),
    path("notifications/", include("reminders.urls")),
    path("exports/", include("reminders.export_urls")),
    path("django-admin/", admin.site.urls),
]
