"""Production settings for the gunicorn tests, with one change: static files are not collected
(WhiteNoise's manifest needs `collectstatic`, which copies, hashes and compresses 14 MB of fonts
for half a minute or more; the tests are about request handling, not static files)."""

from tsumugi.settings import *  # noqa: F403
from tsumugi.settings import STORAGES

STORAGES = STORAGES | {
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
}
