"""Local development: safe defaults so the platform runs with nothing configured."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = True
# A fixed, clearly-local key: development data is demo data and never leaves the laptop.
SECRET_KEY = SECRET_KEY or "civicdesk-local-development-key-not-for-production-use-0123456789"
