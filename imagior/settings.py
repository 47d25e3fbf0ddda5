"""Imagior settings: one module, driven by environment variables (see .env.example).

The defaults are the embedded setup: SQLite in WAL mode, files on the local
disk, the database task queue and an in-process cache. None of them needs
another server.
"""

import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# A development secret is generated once and kept out of git (.secret_key), so a
# fresh clone works without configuration and production sets SECRET_KEY.
_secret_file = BASE_DIR / ".secret_key"
if "SECRET_KEY" in env:
    SECRET_KEY = env("SECRET_KEY")
else:
    if not _secret_file.exists():
        from django.core.management.utils import get_random_secret_key

        _secret_file.write_text(get_random_secret_key())
    SECRET_KEY = _secret_file.read_text().strip()

# HOST and PORT are where `make run` serves; they also give the default public URL.
_host = env("HOST", default="127.0.0.1")
_public_host = "127.0.0.1" if _host in ("0.0.0.0", "::") else _host  # noqa: S104 (a comparison)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", _public_host])
# Absolute base of image URLs (README.md).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default=f"http://{_public_host}:{env('PORT', default='8000')}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    # Before allauth, so accounts/templates/ overrides allauth's templates.
    "lib",
    "accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "billing",
    "webhooks",
    "templates_app",
    "api",
    "dashboard",
]

MIDDLEWARE = [
    "api.middleware.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.CurrentWorkspaceMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "api.middleware.RequestLogMiddleware",
    "api.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "imagior.urls"
WSGI_APPLICATION = "imagior.wsgi.application"

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
            ],
        },
    },
]

# SQLite needs WAL and IMMEDIATE transactions so the web server and the worker
# can write at once without "database is locked" (README.md, "How it is built").
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # The test database is a file, not memory: Django shares an in-memory database's
    # one connection among the live server's request threads, and two requests at
    # once (a page and its images) then corrupt each other's results. With a file,
    # each thread opens its own connection.
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"imagior-test-{os.getpid()}.sqlite3")
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's connection pool, per process (docs/deploy.md): DATABASE_POOL_MAX_SIZE
    # connections at most; 0 turns pooling off (e.g. behind PgBouncer).
    pool_size = env.int("DATABASE_POOL_MAX_SIZE", default=10)
    if pool_size:
        from psycopg_pool import ConnectionPool

        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pool_size,
            # Seconds a request waits for a connection before its 503 (docs/deploy.md).
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
            # A connection the server dropped (a restart) is replaced, not handed out.
            "check": ConnectionPool.check_connection,
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://imagior")}
# django-ratelimit refuses caches that are not shared between processes. The
# embedded default runs one web process (with threads), where an in-process
# cache is exact; production sets CACHE_URL to Redis.
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
elif CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Django's own Redis backend has the atomic add/incr django-ratelimit needs;
    # its list of supported backends only predates it.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
# The vendored fonts (26 MB, for the renderer and the designer's canvas) are
# served as they are: compressing them on every collectstatic took minutes.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "woff", "woff2"),
    *("ttf", "otf", "map"),
]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/files/"
# Local copies of stored files the renderer needs as paths (fonts) when storage is remote.
MEDIA_CACHE_DIR = env.path("MEDIA_CACHE_DIR", default=BASE_DIR / "var" / "cache")
STORAGES = {
    "default": {"BACKEND": env("FILE_STORAGE", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": env("STATIC_STORAGE", default="whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
# Files on any S3-compatible store (django-storages) once a bucket is named (docs/deploy.md,
# "Files on S3"). Image `url`s then point at MEDIA_PUBLIC_BASE_URL/<name> (a CDN or a public
# bucket) or, without it, at presigned URLs valid for MEDIA_PRESIGNED_SECONDS.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
MEDIA_PUBLIC_BASE_URL = env("MEDIA_PUBLIC_BASE_URL", default="").rstrip("/")
MEDIA_PRESIGNED_SECONDS = env.int("MEDIA_PRESIGNED_SECONDS", default=3600)


def s3_storage(bucket: str, **options) -> dict:
    """The STORAGES["default"] entry for a bucket (tests point it at their own S3 server)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="") or None,
            # Every name is unique (random folders), so nothing is overwritten and no
            # existence check is needed before a write.
            "file_overwrite": True,
            "default_acl": None,
            "querystring_auth": not MEDIA_PUBLIC_BASE_URL,
            "querystring_expire": MEDIA_PRESIGNED_SECONDS,
            "custom_domain": None,
            # A store that does not answer fails a render in seconds (refunded), not minutes.
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": env("AWS_S3_ADDRESSING_STYLE", default="auto")},
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            ),
            **options,
        },
    }


if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = s3_storage(AWS_STORAGE_BUCKET_NAME)

# Three queues, each with its own worker (bin/run): renders, webhook deliveries, the rest
# (templates_app/tasks.py). WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT caps the deliveries one
# account has in flight to one endpoint host when several webhook workers run (docs/api.md).
# TASK_BACKEND=celery runs them on Celery workers instead, with Redis as broker
# (imagior/celery.py, docs/deploy.md "Background tasks on Celery").
_task_backend = env("TASK_BACKEND", default="django_tasks_db.DatabaseBackend")
TASKS = {
    "default": {
        "BACKEND": "imagior.celery.CeleryBackend" if _task_backend == "celery" else _task_backend,
        "QUEUES": ["default", "renders", "webhooks"],
    }
}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
if TASKS["default"]["BACKEND"] == "imagior.celery.CeleryBackend" and not CELERY_BROKER_URL:
    raise ImproperlyConfigured("TASK_BACKEND=celery needs CELERY_BROKER_URL (redis://host:6379/0).")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_IGNORE_RESULT = True  # outcomes live in the database (images, deliveries)
# Acknowledge after the task ran, one message at a time: a worker that dies mid-task
# leaves its message to another worker (the tasks are safe to run twice).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Threads, not prefork: renders already run in their own limited processes
# (templates_app/render_runner.py), which a daemonic prefork child may not start.
CELERY_WORKER_POOL = "threads"
# Redis hands an unacknowledged message to another worker this many seconds after it was
# taken (longer than a task runs: a render is bounded by RENDER_TIMEOUT_SECONDS); the
# workers look for such messages every CELERY_RESTORE_INTERVAL seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = env.int("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", default=2)

# JSON bodies above 1 MB are refused with 413 (docs/rendering.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Uploaded files (fonts) may be up to 10 MB (docs/designer.md).
UPLOAD_MAX_BYTES = 10 * 1024 * 1024

# Browsers may call the API from any site (docs/api.md, "Calling from a browser"): it is
# authenticated by API keys in a header, never by cookies, so no credentials are allowed;
# which sites may use a key is the key's `allowed_domains`, checked against Origin.
CORS_URLS_REGEX = r"^/api/v1/"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "idempotency-key", "if-match")
CORS_EXPOSE_HEADERS = (
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Credits-Remaining",
    "X-Request-Id",
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated", "api.permissions.HasScope"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.LimitOffsetPagination",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "api.schema.ImagiorAutoSchema",
    "DEFAULT_METADATA_CLASS": "api.metadata.AllowedMethodsMetadata",
}

# The OpenAPI document (/api/v1/openapi.json) and Swagger UI (/api/docs/), whose
# files come from drf-spectacular-sidecar: served by us, no CDN (api/schema.py).
SPECTACULAR_SETTINGS = {
    "TITLE": "Imagior API",
    "VERSION": "1.0.0",
    "DESCRIPTION": (
        "Render images from design templates. Authenticate every request with "
        "`Authorization: Bearer imk_live_…` (or an `imk_test_…` sandbox key). "
        "Errors are RFC 9457 problems (`application/problem+json`)."
    ),
    "SERVERS": [{"url": PUBLIC_BASE_URL}],
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"ProblemCodeEnum": "api.schema.PROBLEM_CODES"},
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.share_components"],
    # The Bearer security scheme, shared problems and headers come from api/schema.py.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Renders run in a pool of worker processes with hard limits (templates_app/render_runner.py):
# a render over its wall-clock/CPU seconds or its memory (address space per worker) fails
# with render_failed and its worker is replaced. RENDER_IN_PROCESS renders in the request
# thread without limits: for debugging only.
RENDER_WORKERS = env.int("RENDER_WORKERS", default=os.cpu_count() or 1)
RENDER_TIMEOUT_SECONDS = env.float("RENDER_TIMEOUT_SECONDS", default=20.0)
# How long the first request with an Idempotency-Key holds it (docs/api.md); a request
# that died lets go then. Longer than any request runs: a synchronous render waits for
# a render worker up to three budgets (twice if the worker dies before starting),
# renders within one and fetches its images first (10 s). Eight budgets, at least 2 min.
IDEMPOTENCY_LEASE_SECONDS = env.int("IDEMPOTENCY_LEASE_SECONDS", default=int(max(120, 8 * RENDER_TIMEOUT_SECONDS)))
RENDER_MEMORY_MB = env.int("RENDER_MEMORY_MB", default=1024)
RENDER_IN_PROCESS = env.bool("RENDER_IN_PROCESS", default=False)

# Payments (docs/billing.md): PAYMENT_PROVIDER is "stripe", "manual" (an invoice or bank
# transfer that staff mark paid in admin) or unset (nothing can be bought).
PAYMENT_PROVIDER = env("PAYMENT_PROVIDER", default="").strip().lower()
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
# Another base URL for Stripe's API (a local fake or stripe-mock); empty: Stripe's own.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
if PAYMENT_PROVIDER not in ("", "manual", "stripe"):
    raise ImproperlyConfigured('PAYMENT_PROVIDER must be "stripe", "manual" or empty.')
if PAYMENT_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET.")

# The raw API request log, for admins and debugging; usage figures come from the daily
# rollups (docs/billing.md, "Where usage figures come from").
REQUEST_LOG_RETENTION_DAYS = env.int("REQUEST_LOG_RETENTION_DAYS", default=30)
# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404 (docs/deploy.md).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
# How often `manage.py run_scheduler` enqueues the periodic tasks (seconds).
SCHEDULER_INTERVAL = env.int("SCHEDULER_INTERVAL", default=60)

# E-mail: printed to the console unless EMAIL_URL names an SMTP server.
_email = env.email_url("EMAIL_URL", default="consolemail://")
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {
            key: _email[name]
            for key, name in [
                ("host", "EMAIL_HOST"),
                ("port", "EMAIL_PORT"),
                ("username", "EMAIL_HOST_USER"),
                ("password", "EMAIL_HOST_PASSWORD"),
                ("use_tls", "EMAIL_USE_TLS"),
                ("use_ssl", "EMAIL_USE_SSL"),
            ]
            if _email.get(name) and "smtp" in _email["EMAIL_BACKEND"]
        },
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Imagior <no-reply@imagior.dev>")

# How many reverse proxies in front of us append to X-Forwarded-For; 0 trusts
# only REMOTE_ADDR (docs/api.md).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# An API key's last_used_at is written at most this often (seconds).
API_KEY_LAST_USED_RESOLUTION = env.int("API_KEY_LAST_USED_RESOLUTION", default=300)

# Remote image `src` URLs may reach private, loopback and other non-public addresses
# (docs/rendering.md). For local development and tests only: never set it in production.
ALLOW_PRIVATE_FETCH = env.bool("ALLOW_PRIVATE_FETCH", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# HTTPS hardening follows PUBLIC_BASE_URL: an https deployment gets secure
# cookies, the redirect and HSTS by default, so `check --deploy` is clean; the
# embedded server on plain-HTTP loopback gets none of them.
_https = PUBLIC_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=_https)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_https)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_https)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_https)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=False) else None
X_FRAME_OPTIONS = "DENY"

# The dashboard's pages: Django's own CSP (docs/dashboard.md). No inline script or
# style anywhere: scripts and styles are files under static/. Images may also come
# from PUBLIC_BASE_URL's origin, where rendered files are served when it is another host.
_image_origin = "/".join(PUBLIC_BASE_URL.split("/")[:3])
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:", _image_origin],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
}

# Sign-in is django-allauth's (docs/accounts.md): log in by e-mail, one password at
# sign-up, MFA (TOTP with recovery codes, WebAuthn passkeys), optional Google/GitHub.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm", "signup": "accounts.forms.SignUpForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_UNIQUE_EMAIL = True
# A new account may use the dashboard and test keys at once; its first live render
# waits for the confirmed address (docs/accounts.md, accounts.models.User.has_verified_email).
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_CHANGE_EMAIL = True  # one address: a new one replaces the old once confirmed
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Imagior] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PUBLIC_BASE_URL.startswith("https://") else "http"
ACCOUNT_SESSION_REMEMBER = True
# Attempts per client IP (accounts.client_ip, TRUSTED_PROXY_COUNT) and per target;
# over a limit the page answers 429 with Retry-After (accounts.views.too_many_requests).
LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", default="10/m")
SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", default="10/h")
PASSWORD_RESET_RATE_LIMIT = env("PASSWORD_RESET_RATE_LIMIT", default="5/m")
ACCOUNT_RATE_LIMITS = {
    "login": f"{LOGIN_RATE_LIMIT}/ip",
    "login_failed": f"{LOGIN_RATE_LIMIT}/ip,5/5m/key",
    "signup": f"{SIGNUP_RATE_LIMIT}/ip",
    "reset_password": f"{PASSWORD_RESET_RATE_LIMIT}/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}

# Two-factor (allauth.mfa): an authenticator app (TOTP) with recovery codes, and
# WebAuthn passkeys, which can also log in on their own. A wrong code counts
# against "login_failed" (5 per 5 minutes per account, 10/m per IP) like a wrong password.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Imagior"
# WebAuthn wants https; plain http is allowed only where the site itself is served so
# (the embedded server on loopback, the test server).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=not _https)

# Social sign-in (docs/accounts.md): each provider appears once its OAuth app's id and
# secret are set. A provider's address logs into an existing account only when both
# the provider and we have it verified (accounts.adapter.SocialAccountAdapter).
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False  # we only sign in; no calls to the providers' APIs later
SOCIALACCOUNT_PROVIDERS = {}
if env("GITHUB_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [{"client_id": env("GITHUB_CLIENT_ID"), "secret": env("GITHUB_CLIENT_SECRET", default="")}],
        "SCOPE": ["read:user", "user:email"],
    }
    if env("GITHUB_URL", default=""):  # GitHub Enterprise Server
        SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"] = env("GITHUB_URL")
if env("GOOGLE_CLIENT_ID", default=""):
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": env("GOOGLE_CLIENT_ID"), "secret": env("GOOGLE_CLIENT_SECRET", default="")}],
        "SCOPE": ["openid", "email", "profile"],
    }
# The "Continue with …" forms post to us and are redirected to the provider: browsers
# hold that redirect to the form-action directive too.
SECURE_CSP["form-action"] += [
    *(
        ["/".join(env("GITHUB_URL", default="https://github.com").split("/")[:3])]
        if "github" in SOCIALACCOUNT_PROVIDERS
        else []
    ),
    *(["https://accounts.google.com"] if "google" in SOCIALACCOUNT_PROVIDERS else []),
]
