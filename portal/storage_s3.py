"""The two S3 backends of portal/storage.py (imported only when a bucket is configured)."""

from __future__ import annotations

from urllib.parse import urljoin

from botocore.config import Config
from django.conf import settings
from django.core.files.storage import storages
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from intake.uploads import store_failure

# Fail fast when the store is down: a request must not hang on it (two attempts, seconds).
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 2, "mode": "standard"},
    s3={"addressing_style": "path"},
)


class StoreUnreachable(OSError):
    """The bucket did not answer a read (botocore's errors are not OSErrors). Raised as the
    OSError that the local disk would raise, so that what copes with an unreadable file copes
    with the store being down: Wagtail shows an image it cannot read as a missing thumbnail
    instead of failing the whole page; portal/storage_down.py answers the rest with its 503."""


def configured_storage(alias: str):
    """The storage of STORAGES[alias], as this process has it configured."""
    return storages[alias]


class _PortalS3Storage(S3Storage):
    alias = ""  # the STORAGES alias this backend serves

    def __init__(self, **options):
        options.setdefault("client_config", CLIENT_CONFIG)
        super().__init__(**options)

    def deconstruct(self):
        """By its alias, never by its options: Wagtail enqueues the deconstructed storage with
        every file it deletes, and the options hold the bucket's secret key, which would be
        written into the task table (and every backup of it). The worker that runs the task
        gets the storage of its own settings, with its current keys."""
        return ("portal.storage_s3.configured_storage", (self.alias,), {})

    def _open(self, name, mode="rb"):
        # django-storages asks the bucket for the object's head here; a missing object is
        # its FileNotFoundError (the store answered), left as it is.
        try:
            return super()._open(name, mode)
        except Exception as exc:
            if store_failure(exc) and not isinstance(exc, OSError):
                raise StoreUnreachable(f"file store unreachable: {type(exc).__name__}") from exc
            raise


class PrivateS3Storage(_PortalS3Storage):
    """Private files (SECURITY E1): never addressed by a URL, signed or not."""

    alias = "private"

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files are served through the portal's own views only.")


class MediaS3Storage(_PortalS3Storage):
    """Public media, addressed through the site's own /media/ path (no bucket address)."""

    alias = "default"

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))
