"""The two S3 backends of portal/storage.py (imported only when a bucket is configured)."""

from __future__ import annotations

from urllib.parse import urljoin

from botocore.config import Config
from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

# Fail fast when the store is down: a request must not hang on it (two attempts, seconds).
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=10,
    retries={"max_attempts": 2, "mode": "standard"},
    s3={"addressing_style": "path"},
)


class _PortalS3Storage(S3Storage):
    def __init__(self, **options):
        options.setdefault("client_config", CLIENT_CONFIG)
        super().__init__(**options)


class PrivateS3Storage(_PortalS3Storage):
    """Private files (SECURITY E1): never addressed by a URL, signed or not."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files are served through the portal's own views only.")


class MediaS3Storage(_PortalS3Storage):
    """Public media, addressed through the site's own /media/ path (no bucket address)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name))
