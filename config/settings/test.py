"""The test suite: the database comes from DATABASE_URL (SQLite when unset)."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

SECRET_KEY = "civicdesk-test-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATION_GATEWAY = "outbox"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "test-uploads"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by the tests share the database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
