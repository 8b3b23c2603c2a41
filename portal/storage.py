"""Where files are kept (issue 19): the local disk by default, an S3-compatible store when set.

Two aliases of Django's STORAGES hold files (besides "staticfiles"):
- "private" (SECURITY E1): report attachments, agreements, roster imports, generated PDFs.
  Every FileField of them goes through `intake.uploads.private_storage`, which resolves this
  alias; they are served only by views that check the user's scope, never by a URL.
- "default": Wagtail's images and documents (public media).

`make run` and the test suite keep both on the local disk (PRIVATE_MEDIA_ROOT, MEDIA_ROOT).
With STORAGE_S3_BUCKET set, both live in that bucket (prefixes `private/` and `media/`), so
every web node and worker sees the same files. The environment:

    STORAGE_S3_BUCKET             the bucket (created beforehand)
    STORAGE_S3_ENDPOINT_URL       e.g. https://s3.example.cn (an S3-compatible server)
    STORAGE_S3_ACCESS_KEY_ID      the keys of a user that may read and write that bucket
    STORAGE_S3_SECRET_ACCESS_KEY
    STORAGE_S3_REGION             default us-east-1

Objects are written with the private ACL, and no URL of a private file is ever made (a signed
URL in a page would hand the file to whoever holds the page): `url()` refuses. Media URLs are
the site's own /media/ addresses (the reverse proxy serves /media/X from the object
`media/X`), so no bucket address or signature appears in a page and the CSP's img-src 'self'
still holds. The two backends are in portal/storage_s3.py; this module only builds the
setting, without importing boto3 into every process that reads the settings.
A store that does not answer fails fast (a few seconds, two attempts), and an upload refused
for that reason says so in Chinese (`intake.uploads.StorageUnavailable`).
"""

from __future__ import annotations

import os
from pathlib import Path

FILESYSTEM = "django.core.files.storage.FileSystemStorage"


def s3_options(
    *,
    bucket: str,
    endpoint_url: str | None,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    location: str,
) -> dict:
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region,
        "location": location,
        "default_acl": "private",
        "querystring_auth": False,
        "file_overwrite": False,
        "addressing_style": "path",
    }


def s3_storages(
    *,
    bucket: str,
    endpoint_url: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    region: str = "us-east-1",
) -> dict:
    """The "private" and "default" aliases in the bucket."""
    common = {
        "bucket": bucket,
        "endpoint_url": endpoint_url,
        "access_key": access_key,
        "secret_key": secret_key,
        "region": region,
    }
    return {
        "private": {
            "BACKEND": "portal.storage_s3.PrivateS3Storage",
            "OPTIONS": s3_options(**common, location="private"),
        },
        "default": {
            "BACKEND": "portal.storage_s3.MediaS3Storage",
            "OPTIONS": s3_options(**common, location="media"),
        },
    }


def storages_setting(*, private_root: Path, staticfiles_backend: str, environ=None) -> dict:
    """STORAGES for a settings module: the local disk, or the bucket when the environment
    names one (STORAGE_S3_BUCKET)."""
    environ = os.environ if environ is None else environ
    storages = {
        "default": {"BACKEND": FILESYSTEM},
        "private": {
            "BACKEND": FILESYSTEM,
            # base_url None: the private files have no URL of their own (E1).
            "OPTIONS": {"location": str(private_root), "base_url": None},
        },
        "staticfiles": {"BACKEND": staticfiles_backend},
    }
    bucket = environ.get("STORAGE_S3_BUCKET", "").strip()
    if bucket:
        storages.update(
            s3_storages(
                bucket=bucket,
                endpoint_url=environ.get("STORAGE_S3_ENDPOINT_URL", "").strip() or None,
                access_key=environ.get("STORAGE_S3_ACCESS_KEY_ID", "").strip() or None,
                secret_key=environ.get("STORAGE_S3_SECRET_ACCESS_KEY", "").strip() or None,
                region=environ.get("STORAGE_S3_REGION", "").strip() or "us-east-1",
            )
        )
    return storages
