"""Per-user account state the auth User lacks, and the sign-in record."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet


class Account(models.Model):
    """One row per user that needed one (created on first use)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="account"
    )
    # An administrator typed this password: the user must choose their own before anything else
    # (総務省・経産省 guideline: an initial password is changed before first use).
    must_change_password = models.BooleanField("パスワードの変更が必要", default=False)
    # The city's identity provider names a person by this subject (the ID token's `sub`); single
    # sign-on finds the user by it (TSUMUGI_OIDC_MATCH=sub), or stores it at the first sign-in
    # matched by e-mail or user name, so that a reassigned address cannot take the account over.
    oidc_subject = models.CharField(
        "シングルサインオンの識別子（sub）",
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text="自治体の認証基盤がこの職員に付けている識別子。空欄ならシングルサインオンでは"
        "ログインできません（照合方法がメールアドレス・ユーザー名なら初回に自動で入ります）。",
    )

    class Meta:
        verbose_name = "アカウント"
        verbose_name_plural = "アカウント"

    def __str__(self) -> str:
        return str(self.user)


class SignInEvent(AppendOnly):
    """Who signed in or out, failed, was locked out, changed a password or a factor: append-only
    in the ORM and, on PostgreSQL, by a trigger (migration 0002)."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "ログイン"
        SIGNED_IN_SSO = "signed_in_sso", "ログイン（シングルサインオン）"
        SSO_REFUSED = "sso_refused", "シングルサインオンの拒否"
        SIGNED_OUT = "signed_out", "ログアウト"
        FAILED = "failed", "ログイン失敗"
        LOCKED_OUT = "locked_out", "ログイン停止（失敗の繰り返し）"
        PASSWORD_CHANGED = "password_changed", "パスワード変更"
        PASSWORD_RESET_REQUESTED = "reset_requested", "パスワード再設定の依頼"
        PASSWORD_RESET = "password_reset", "パスワード再設定"
        INVITED = "invited", "招待メールの送信"
        INVITATION_ACCEPTED = "invitation_accepted", "招待からのパスワード設定"
        PASSWORD_SET_BY_ADMIN = "password_set_by_admin", "管理者によるパスワード設定"
        DEACTIVATED = "deactivated", "利用停止"
        FACTOR_ADDED = "factor_added", "二要素認証の登録"
        FACTOR_REMOVED = "factor_removed", "二要素認証の解除"
        FACTOR_RESET = "factor_reset", "管理者による二要素認証のリセット"
        FACTOR_FAILED = "factor_failed", "確認コードの誤り"
        RECOVERY_CODE_USED = "recovery_code_used", "回復コードの使用"

    at = models.DateTimeField("日時", auto_now_add=True, db_index=True)
    kind = models.CharField("種類", max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="ユーザー",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # What was typed at a failed sign-in (the user may not exist); cut to the column.
    username = models.CharField("入力されたユーザー名", max_length=150, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作した人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField("接続元", null=True, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "ログイン記録"
        verbose_name_plural = "ログイン記録"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="signin_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"
