"""tsumugi settings, read from environment variables.

With no variables at all the app runs embedded: SQLite in ./var and a Celery broker on the local
filesystem, so a new user needs nothing but Python. Production sets TSUMUGI_PRODUCTION=1,
DATABASE_URL and CELERY_BROKER_URL (see docker-compose.yml).
"""

import os
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

# Lets Django's classes take type arguments at run time (forms.ModelForm[Agency]), which mypy
# --strict asks for in class bases.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_networks(name: str, default: str = "") -> list[str]:
    """Comma-separated IP addresses or CIDR networks (e.g. `10.0.0.5,192.168.10.0/24`)."""
    import ipaddress

    values = [v.strip() for v in env_str(name, default).split(",") if v.strip()]
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be IP addresses or networks separated by commas, got {value!r}"
            ) from None
    return values


def env_list(name: str, default: str) -> list[str]:
    return [v.strip() for v in env_str(name, default).split(",") if v.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_url(name: str, https: bool = False) -> str:
    """An absolute http(s) URL, or "" when unset; https only when `https`."""
    raw = env_str(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    schemes = {"https"} if https else {"http", "https"}
    if parts.scheme not in schemes or not parts.netloc:
        wanted = "an https:// URL" if https else "an http:// or https:// URL"
        raise ImproperlyConfigured(f"{name} must be {wanted}, got {raw!r}")
    return raw.rstrip("/") if parts.path in {"", "/"} else raw


def env_time(name: str, default: str) -> time:
    raw = env_str(name, default)
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a time like 17:15, got {raw!r}") from None


PRODUCTION = env_bool("TSUMUGI_PRODUCTION", False)
DEBUG = env_bool("TSUMUGI_DEBUG", not PRODUCTION)
VAR_DIR = Path(env_str("TSUMUGI_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("TSUMUGI_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("TSUMUGI_SECRET_KEY must be set when TSUMUGI_PRODUCTION=1")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-tsumugi-0123456789abcdef"
elif PRODUCTION and (
    len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")
):
    # The same test as `check --deploy` (security.W009), but refusing instead of warning.
    raise ImproperlyConfigured(
        "TSUMUGI_SECRET_KEY is too weak: use 50 or more random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

ALLOWED_HOSTS = [h for h in env_str("TSUMUGI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env_str("TSUMUGI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
SITE_URL = env_str("TSUMUGI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "django_htmx",
    "tsumugi.lib",
    "tenancy",
    "reminders",
    "areas",
    "accounts",
    "cases",
    "sheets",
    "meetings",
    "plans",
    "insight",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The signed-in user's municipality for the app's scoping and PostgreSQL's row security.
    "tenancy.middleware.MunicipalityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: a partial answer to htmx's own requests, the whole page to everything else.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before any view (and the CSRF check, which runs just before the view) parses the body.
    "tsumugi.middleware.RefuseBadInputMiddleware",
    "tsumugi.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "tsumugi.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    # Roster changes record who made them (django-simple-history's history_user).
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "tsumugi.urls"
WSGI_APPLICATION = "tsumugi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "tsumugi.context_processors.navigation",
                "accounts.context_processors.two_factor",
            ],
            "builtins": ["tsumugi.lib.datetags", "tsumugi.lib.formtags"],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    if not DATABASE_URL.startswith(("postgres://", "postgresql://", "sqlite:///")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// or sqlite:///, got {DATABASE_URL!r}"
        )
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "tsumugi.sqlite3"),
            # WAL lets the web process read while the reminder worker writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # JIT-compiling the insight GROUP BY queries costs more (~0.3 s) than it saves, and their
    # sorts (COUNT DISTINCT over a year of cases) spill to disk at the default 4 MB work_mem.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off -c work_mem=16MB"
# The insight indexes carry INCLUDE columns for PostgreSQL index-only scans; SQLite ignores them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- auth and security ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Acts only on the single sign-on callback, and only when TSUMUGI_OIDC_ISSUER is set.
    "accounts.oidc.ExistingUsersOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Five failures in a row lock the username+IP pair; the sixth attempt is refused.
AXES_FAILURE_LIMIT = env_int("TSUMUGI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("TSUMUGI_LOGIN_COOLOFF_MINUTES", 30, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The reverse proxies whose X-Forwarded-For is believed (tsumugi/lib/client.py); nobody else's.
TSUMUGI_TRUSTED_PROXIES = env_networks("TSUMUGI_TRUSTED_PROXIES")
AXES_CLIENT_IP_CALLABLE = "tsumugi.lib.client.client_address"
AXES_WHITELIST_CALLABLE = "accounts.oidc.axes_ignores_sso"
AXES_USERNAME_CALLABLE = "tsumugi.lib.client.attempted_username"

# Password lifecycle and second factor (accounts/).
PASSWORD_RESET_TIMEOUT = env_int("TSUMUGI_PASSWORD_RESET_MINUTES", 60, minimum=5) * 60
TSUMUGI_INVITATION_SECONDS = env_int("TSUMUGI_INVITATION_DAYS", 7, minimum=1) * 24 * 60 * 60
TSUMUGI_RESET_PER_ADDRESS = env_int("TSUMUGI_RESET_PER_ADDRESS_HOURLY", 10, minimum=1)
TSUMUGI_RESET_PER_EMAIL = env_int("TSUMUGI_RESET_PER_EMAIL_HOURLY", 3, minimum=1)
TSUMUGI_REQUIRE_TWO_FACTOR = env_bool("TSUMUGI_REQUIRE_TWO_FACTOR", PRODUCTION)
TSUMUGI_REAUTH_SECONDS = env_int("TSUMUGI_REAUTH_MINUTES", 5, minimum=1) * 60
OTP_TOTP_ISSUER = env_str("TSUMUGI_TOTP_ISSUER", "つむぎ")
# Passkeys (accounts/passkeys.py) as a second factor only: never a sign-in without the password.
# A passkey belongs to the host name of TSUMUGI_SITE_URL; moving the site to another name loses it.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# WebAuthn refuses an IP address as relying party: the demo's passkeys live on localhost.
# Anything but https (or localhost) stops the system checks (otp_webauthn.E031).
_site = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = (
    "localhost" if _site.hostname in {None, "127.0.0.1", "::1"} else str(_site.hostname)
)
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    f"{_site.scheme}://{OTP_WEBAUTHN_RP_ID}" + (f":{_site.port}" if _site.port else "")
]

# Single sign-on with the city's identity provider over OpenID Connect (accounts/oidc.py), off
# unless TSUMUGI_OIDC_ISSUER is set. It signs in existing users only and never creates one.
TSUMUGI_OIDC_ISSUER = env_url("TSUMUGI_OIDC_ISSUER", https=PRODUCTION)
TSUMUGI_OIDC_ENABLED = bool(TSUMUGI_OIDC_ISSUER)
_OIDC_REQUIRED = {
    "OIDC_RP_CLIENT_ID": "TSUMUGI_OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "TSUMUGI_OIDC_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "TSUMUGI_OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "TSUMUGI_OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "TSUMUGI_OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "TSUMUGI_OIDC_JWKS_ENDPOINT",
}
_oidc = {
    setting: env_url(name, https=PRODUCTION) if "ENDPOINT" in name else env_str(name, "")
    for setting, name in _OIDC_REQUIRED.items()
}
if TSUMUGI_OIDC_ENABLED and (_missing := [n for s, n in _OIDC_REQUIRED.items() if not _oidc[s]]):
    raise ImproperlyConfigured(f"TSUMUGI_OIDC_ISSUER is set: also set {', '.join(_missing)}")
# mozilla-django-oidc reads these names; they exist (empty) when single sign-on is off so that
# its backend, always listed, can be built.
OIDC_RP_CLIENT_ID = _oidc["OIDC_RP_CLIENT_ID"]
OIDC_RP_CLIENT_SECRET = _oidc["OIDC_RP_CLIENT_SECRET"]
OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc["OIDC_OP_AUTHORIZATION_ENDPOINT"]
OIDC_OP_TOKEN_ENDPOINT = _oidc["OIDC_OP_TOKEN_ENDPOINT"]
OIDC_OP_USER_ENDPOINT = _oidc["OIDC_OP_USER_ENDPOINT"]
OIDC_OP_JWKS_ENDPOINT = _oidc["OIDC_OP_JWKS_ENDPOINT"]
OIDC_RP_SIGN_ALGO = env_choice(
    "TSUMUGI_OIDC_SIGN_ALGO", "RS256", ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
)
OIDC_RP_SCOPES = env_str("TSUMUGI_OIDC_SCOPES", "openid email profile")
if "openid" not in OIDC_RP_SCOPES.split():
    raise ImproperlyConfigured(f"TSUMUGI_OIDC_SCOPES must include openid, got {OIDC_RP_SCOPES!r}")
OIDC_CREATE_USER = False
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("TSUMUGI_OIDC_TIMEOUT_SECONDS", 10, minimum=1)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso_callback"
# How a provider's account finds its tsumugi user: `sub` (the subject an administrator stored on
# the account), `email` or `username` (User.email / User.username equal to the claim; the
# subject is then stored at the first sign-in and must stay the same afterwards).
TSUMUGI_OIDC_MATCH = env_choice("TSUMUGI_OIDC_MATCH", "sub", ["sub", "email", "username"])
TSUMUGI_OIDC_USERNAME_CLAIM = env_str("TSUMUGI_OIDC_USERNAME_CLAIM", "preferred_username")
# Trust the provider's own multi-factor sign-in instead of asking for tsumugi's second factor,
# when its ID token says so: `amr` (RFC 8176) holds one of these, or `acr` is one of these.
TSUMUGI_OIDC_TRUST_PROVIDER_MFA = env_bool("TSUMUGI_OIDC_TRUST_PROVIDER_MFA", False)
TSUMUGI_OIDC_MFA_AMR = env_list("TSUMUGI_OIDC_MFA_AMR", "mfa,otp,hwk,sc")
TSUMUGI_OIDC_MFA_ACR = env_list("TSUMUGI_OIDC_MFA_ACR", "")

SESSION_IDLE_TIMEOUT_SECONDS = env_int("TSUMUGI_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("TSUMUGI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("TSUMUGI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise warns at start-up when the folder is missing (before the first collectstatic).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Files the worker produces (meeting packets), kept as the print record.
MEDIA_ROOT = VAR_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# A consultation summary is prose, not a document store: anything larger is refused.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
TEXT_FIELD_MAX_CHARS = env_int("TSUMUGI_TEXT_MAX_CHARS", 10_000, minimum=100)

# --- business calendar and deadlines --------------------------------------------------------
BUSINESS_DAY_OPENS = env_time("TSUMUGI_BUSINESS_DAY_OPENS", "08:30")
BUSINESS_DAY_ENDS = env_time("TSUMUGI_BUSINESS_DAY_ENDS", "17:15")
ACK_BUSINESS_DAYS = env_int("TSUMUGI_ACK_BUSINESS_DAYS", 2, minimum=1)
FOLLOW_UP_BUSINESS_DAYS = env_int("TSUMUGI_FOLLOW_UP_BUSINESS_DAYS", 10, minimum=1)
HOLDING_FLAG_BUSINESS_DAYS = env_int("TSUMUGI_HOLDING_FLAG_BUSINESS_DAYS", 5, minimum=1)
SILENT_SHEET_BUSINESS_DAYS = env_int("TSUMUGI_SILENT_SHEET_BUSINESS_DAYS", 10, minimum=1)
# Escalation ladder: business days after the due time for steps 2 and 3.
ESCALATE_SUPERVISORS_AFTER_DAYS = env_int("TSUMUGI_ESCALATE_SUPERVISORS_DAYS", 1, minimum=1)
ESCALATE_COORDINATORS_AFTER_DAYS = env_int("TSUMUGI_ESCALATE_COORDINATORS_DAYS", 3, minimum=1)

# --- mail -----------------------------------------------------------------------------------
# Django 6.1 configures mail through MAILERS (the EMAIL_* settings are deprecated).
# Embedded: mails are written to var/mail; production sends through SMTP.
_MAIL_BACKEND = env_str(
    "TSUMUGI_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
_MAIL_OPTIONS: dict[str, object] = {}
if _MAIL_BACKEND.endswith("filebased.EmailBackend"):
    _MAIL_OPTIONS = {"file_path": str(VAR_DIR / "mail")}
elif _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    _MAIL_OPTIONS = {
        "host": env_str("TSUMUGI_EMAIL_HOST", "localhost"),
        "port": env_int("TSUMUGI_EMAIL_PORT", 25),
        "username": env_str("TSUMUGI_EMAIL_HOST_USER", ""),
        "password": env_str("TSUMUGI_EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("TSUMUGI_EMAIL_USE_TLS", False),
    }
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("TSUMUGI_FROM_EMAIL", "tsumugi@localhost")

# --- celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if not CELERY_BROKER_URL.startswith(("filesystem://", "redis://", "rediss://", "memory://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be filesystem://, memory:// or redis://, got {CELERY_BROKER_URL!r}"
    )
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu otherwise writes its exchange table to ./control, wherever the process started.
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Let a running task finish when the broker goes away: cancelling a mail task between sending and
# recording `emailed_at` is the one way to send a reminder mail twice. (Celery warns about it.)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_IGNORE_RESULT = True
# Reminder engine (reminders/): rows claimed per transaction, and how long an unsent
# reminder mail waits (broker down, worker killed) before the sweep hands it over again.
# The agenda should reach attendees this many business days before the meeting (the seed:
# sending the topic beforehand makes meetings far shorter).
MEETING_DISTRIBUTE_BUSINESS_DAYS = env_int("TSUMUGI_MEETING_DISTRIBUTE_BUSINESS_DAYS", 5, minimum=0)
REMINDER_BATCH_SIZE = env_int("TSUMUGI_REMINDER_BATCH_SIZE", 2000, minimum=1)
# Batches a sweep runs side by side on PostgreSQL, each on its own connection (reminders/engine.py).
REMINDER_SWEEP_LANES = env_int("TSUMUGI_REMINDER_SWEEP_LANES", 2, minimum=1)
REMINDER_EMAIL_RETRY_SECONDS = env_int("TSUMUGI_REMINDER_EMAIL_RETRY_SECONDS", 60, minimum=1)
REMINDER_EMAIL_LEASE_SECONDS = env_int("TSUMUGI_REMINDER_EMAIL_LEASE_SECONDS", 300, minimum=1)
# Demo only: send reminders at any hour instead of waiting for the next opening.
REMINDER_BUSINESS_HOURS_ONLY = env_bool("TSUMUGI_REMINDER_BUSINESS_HOURS_ONLY", True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "send-due-reminders": {
        "task": "reminders.tasks.sweep_task",
        "schedule": env_int("TSUMUGI_REMINDER_SWEEP_SECONDS", 60, minimum=1),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TSUMUGI_LOG_LEVEL", "WARNING")},
}

# --- demo data ------------------------------------------------------------------------------
# `manage.py seed_demo` runs these loaders in order; each app appends its own (see the command).
TSUMUGI_DEMO_LOADERS = [
    "areas.demo.load_city",
    "sheets.demo.load",
    "meetings.demo.load",
    "plans.demo.load",
    "insight.demo.load",
]
