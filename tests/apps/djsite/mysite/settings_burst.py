"""The settings a burstcheck config selects through `env: {DJANGO_SETTINGS_MODULE: mysite.settings_burst}`."""

from mysite.settings import *  # noqa: F403

CHOSEN_BY_ENV = True
