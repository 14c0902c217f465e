"""Local development: safe defaults so the platform runs with nothing configured."""

from .base import *  # noqa: F403
from .base import NOTIFICATION_GATEWAY, NOTIFY_API_KEY, SECRET_KEY, env_bool

# On unless DEBUG says otherwise: `make run` turns it off (scripts/serve), so that the platform
# shows the council's own "page not found" and error pages, as it does in production.
DEBUG = env_bool("DEBUG", True)
# A fixed, clearly-local key: development data is demo data and never leaves the laptop.
SECRET_KEY = SECRET_KEY or "civicdesk-local-development-key-not-for-production-use-0123456789"

# With nothing configured, emails (such as a resident's sign-in link) are printed in the terminal
# running the platform, through the same SMTP gateway code path; texts and letters stay in the
# outbox for staff to read.
if (
    not NOTIFY_API_KEY
    and NOTIFICATION_GATEWAY == "outbox"
    and env_bool("DEV_EMAIL_TO_CONSOLE", True)
):
    NOTIFICATION_GATEWAY = "smtp"
