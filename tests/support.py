"""Test doubles that behave like real failures (not mocks of our own code)."""

import smtplib
import socket

from django.core.mail.backends.base import BaseEmailBackend

from portal.storage import storages_setting


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down: every send raises like smtplib does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPConnectError(421, "mail server unavailable")


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def store_down(settings) -> None:
    """Both aliases (private files and public media) in a bucket at a closed port: every call
    to the store is refused at once."""
    endpoint = f"http://127.0.0.1:{closed_port()}"
    settings.STORAGES = storages_setting(
        private_root=settings.PRIVATE_MEDIA_ROOT,
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ={
            "STORAGE_S3_BUCKET": "ledger",
            "STORAGE_S3_ENDPOINT_URL": endpoint,
            "STORAGE_S3_ACCESS_KEY_ID": "key",
            "STORAGE_S3_SECRET_ACCESS_KEY": "secret",
        },
    )


def store_on_disk(settings, root) -> dict:
    """Both stores (private files, public media) in folders under `root`, as `make run` keeps
    them; the folder of each, to look at what is there."""
    settings.STORAGES = storages_setting(
        private_root=root / "private",
        staticfiles_backend="django.contrib.staticfiles.storage.StaticFilesStorage",
        environ={},
    )
    settings.MEDIA_ROOT = root / "media"
    return {"private": root / "private", "media": root / "media"}
