from django.contrib.auth import views as auth_views
from django.urls import path

from . import oidc, operator, passkeys, views

app_name = "accounts"

urlpatterns = [
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitation/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation"),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/send/", views.invite, name="invite"),
    path("events/", views.events, name="events"),
    path("two-factor/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("reauth/", views.reauth, name="reauth"),
    path("passkeys/", passkeys.passkeys, name="passkeys"),
    path("session/keepalive/", views.keepalive, name="keepalive"),
    path("sso/", oidc.sso_start, name="sso_start"),
    path("sso/callback/", oidc.sso_callback, name="sso_callback"),
    # the operator of a deployment with several municipalities
    path("municipalities/", operator.municipality_list, name="municipalities"),
    path("municipalities/new/", operator.municipality_form, name="municipality_create"),
    path("municipalities/<int:pk>/", operator.municipality_form, name="municipality_edit"),
    path("municipalities/<int:pk>/admin/", operator.first_admin, name="municipality_admin"),
]
