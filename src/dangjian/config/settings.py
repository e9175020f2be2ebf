"""Settings, all driven by DANGJIAN_* environment variables.

DANGJIAN_ENV=demo (default) runs with an embedded SQLite database and demo accounts;
DANGJIAN_ENV=production refuses to start with a default or missing secret.
"""

import os
import socket
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent

ENV = os.environ.get("DANGJIAN_ENV", "demo")
if ENV not in ("demo", "production"):
    raise ImproperlyConfigured("DANGJIAN_ENV must be 'demo' or 'production'")
PRODUCTION = ENV == "production"

DATA_DIR = Path(os.environ.get("DANGJIAN_DATA_DIR", REPO_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEMO_SECRET_KEY = "demo-insecure-secret-key-do-not-use-in-production-7f3a9c2e1b"
SECRET_KEY = os.environ.get("DANGJIAN_SECRET_KEY", "")
if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == DEMO_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "生产环境必须通过 DANGJIAN_SECRET_KEY 设置至少 50 个字符的随机密钥"
        )
elif not SECRET_KEY:
    SECRET_KEY = DEMO_SECRET_KEY

DEBUG = os.environ.get("DANGJIAN_DEBUG", "") == "1" and not PRODUCTION

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

# Field-encryption keys: DANGJIAN_DATA_KEY (hex) or a key file outside the repository.
DATA_KEY = os.environ.get("DANGJIAN_DATA_KEY", "")
KEY_FILE = Path(os.environ.get("DANGJIAN_KEY_FILE", DATA_DIR / "keys.json"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "treebeard",
    "django_tasks",
    "django_tasks_db",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.exchange",
    "dangjian.dues",
    "dangjian.alerts",
    "dangjian.analytics",
    "dangjian.orglife",
    "dangjian.recruitment",
    "dangjian.cockpit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.context.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangjian.core.context.NoStoreMiddleware",
    "dangjian.core.headers.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "dangjian.config.urls"
WSGI_APPLICATION = "dangjian.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.accounts.context.roles",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DANGJIAN_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "dangjian.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a real file (WAL, busy timeout), not shared-cache memory, so concurrency behaves as deployed.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def _int_env(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError as exc:  # a typo in deployment must not silently weaken policy
        raise ImproperlyConfigured(f"{name} must be an integer") from exc


# Password and session policy (等保 2.0 L3 practice; all configurable).
PASSWORD_POLICY = {
    "min_length": _int_env("DANGJIAN_PASSWORD_MIN_LENGTH", 8),
    "min_classes": _int_env("DANGJIAN_PASSWORD_MIN_CLASSES", 3),
    "max_age_days": _int_env("DANGJIAN_PASSWORD_MAX_AGE_DAYS", 90),
    "history": _int_env("DANGJIAN_PASSWORD_HISTORY", 5),
    "max_length": 128,
}
LOGIN_POLICY = {
    "max_failures": _int_env("DANGJIAN_LOGIN_MAX_FAILURES", 5),
    "lockout_minutes": _int_env("DANGJIAN_LOGIN_LOCKOUT_MINUTES", 30),
}
SESSION_POLICY = {
    "idle_minutes": _int_env("DANGJIAN_SESSION_IDLE_MINUTES", 30),
    "admin_idle_minutes": _int_env("DANGJIAN_ADMIN_SESSION_IDLE_MINUTES", 15),
    "absolute_hours": _int_env("DANGJIAN_SESSION_ABSOLUTE_HOURS", 12),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "dangjian.accounts.passwords.LengthValidator"},
    {"NAME": "dangjian.accounts.passwords.CharacterClassValidator"},
    {"NAME": "dangjian.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.UserAttributeValidator"},
    {"NAME": "dangjian.accounts.passwords.HistoryValidator"},
]

SESSION_COOKIE_AGE = SESSION_POLICY["absolute_hours"] * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("DANGJIAN_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = _int_env("DANGJIAN_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = [
        o for o in os.environ.get("DANGJIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o
    ]

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background jobs: a queue in the database, worked by `dangjian worker` (started by `dangjian serve`/`demo`).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DANGJIAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Early warnings: the worker enqueues the evaluation every day at this local time ("off" to leave it to cron).
ALERTS_NIGHTLY_AT = os.environ.get("DANGJIAN_ALERTS_NIGHTLY_AT", "02:00")
# Indicators: the worker refreshes them every day at this local time ("off" to leave it to cron), on this engine.
ANALYTICS_NIGHTLY_AT = os.environ.get("DANGJIAN_ANALYTICS_NIGHTLY_AT", "03:00")
ANALYTICS_ENGINE = os.environ.get("DANGJIAN_ANALYTICS_ENGINE", "duckdb")
ANALYTICS_DIR = Path(os.environ.get("DANGJIAN_ANALYTICS_DIR", DATA_DIR / "analytics"))
# Early warnings: outgoing channels for task events besides the in-app inbox (dotted paths of alerts.notify adapters).
ALERTS_NOTIFIERS = [p for p in os.environ.get("DANGJIAN_ALERTS_NOTIFIERS", "dangjian.alerts.notify.ConsoleAdapter")
                    .split(",") if p.strip()]
ALERTS_NOTIFY_FILE = os.environ.get("DANGJIAN_ALERTS_NOTIFY_FILE", "")

# Spreadsheet import: hostile or oversized files are refused before a cell is read.
IMPORT_MAX_ROWS = _int_env("DANGJIAN_IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_MB = _int_env("DANGJIAN_IMPORT_MAX_MB", 50)
IMPORT_MAX_UNZIPPED_MB = _int_env("DANGJIAN_IMPORT_MAX_UNZIPPED_MB", 500)
IMPORT_MAX_ZIP_RATIO = _int_env("DANGJIAN_IMPORT_MAX_ZIP_RATIO", 100)
IMPORT_CHUNK_ROWS = _int_env("DANGJIAN_IMPORT_CHUNK_ROWS", 1000)
# Large files are validated by forked worker processes (0 = one per core), from this many rows on.
IMPORT_WORKERS = _int_env("DANGJIAN_IMPORT_WORKERS", 0)
IMPORT_PARALLEL_MIN_ROWS = _int_env("DANGJIAN_IMPORT_PARALLEL_MIN_ROWS", 20_000)
# Uploaded files and staged rows are kept (encrypted) this long, then purged.
IMPORT_RETENTION_HOURS = _int_env("DANGJIAN_IMPORT_RETENTION_HOURS", 24)
IMPORT_DIR = DATA_DIR / "imports"
# Online dues payment: a provider class with checkout_url / verify (the fake one moves no money).
DUES_PAYMENT_PROVIDER = os.environ.get("DANGJIAN_DUES_PAYMENT_PROVIDER", "dangjian.dues.payments.FakeProvider")
# Exchange packages between levels: keys shared per pair of instances (dangjian exchange key add).
EXCHANGE_KEY_FILE = Path(os.environ.get("DANGJIAN_EXCHANGE_KEY_FILE", DATA_DIR / "exchange-keys.json"))
INSTANCE_NAME = os.environ.get("DANGJIAN_INSTANCE_NAME", "") or socket.gethostname()
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_MB * 1024 * 1024  # uploads stay in memory: no plaintext temp file

DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

LANGUAGE_CODE = "zh-hans"
# The interface is Simplified Chinese whatever the browser asks for; strings go through gettext so
# that an English catalogue (and LocaleMiddleware) can be added later.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = REPO_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/alpinejs", NODE_MODULES / "alpinejs" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STATICFILES_DIRS = [PACKAGE_DIR / "static"] + [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dangjian.accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "dangjian.core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dangjian 智慧党建平台 API",
    "DESCRIPTION": "组织、党员等接口。认证：POST /api/v1/auth/token/ 取得令牌，之后以 `Authorization: Token …` 访问。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "dangjian.members.choices.MemberStatus",
        "OrgStatusEnum": "dangjian.orgs.choices.OrgStatus",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Seed data: fixed random seed so every demo install is the same organisation.
DEMO_PASSWORD = "Demo-2026-dj"

# Organisational life (组织生活): meeting attachments and photos live under the data directory, outside the web root,
# and are served only through the scoped download view. Limits per file, by content type.
ORGLIFE_FILE_DIR = Path(os.environ.get("DANGJIAN_ORGLIFE_FILE_DIR", DATA_DIR / "orglife"))
ORGLIFE_FILE_MAX_MB = _int_env("DANGJIAN_ORGLIFE_FILE_MAX_MB", 20)

# The cockpit (数字驾驶舱): how often the big screen and the phone view poll for new figures.
COCKPIT_REFRESH_SECONDS = _int_env("DANGJIAN_COCKPIT_REFRESH_SECONDS", 60)
