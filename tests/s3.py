"""A real S3 endpoint for the tests (issue 19): moto's server on a free loopback port.

`S3Server` runs in a thread of the test process; the cluster test hands its address to the
gunicorn nodes and workers it starts. `Bucket` reads what the portal wrote, through boto3.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import boto3

ACCESS_KEY = "cluster-test-access"
SECRET_KEY = "cluster-test-secret"
REGION = "us-east-1"


class S3Server:
    def __init__(self) -> None:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.stop()

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> Bucket:
        name = f"ledger-{uuid.uuid4().hex[:12]}"
        client = self.client()
        client.create_bucket(Bucket=name)
        return Bucket(client=client, name=name, endpoint=self.endpoint)


@dataclass
class Bucket:
    client: object
    name: str
    endpoint: str

    def keys(self, prefix: str = "") -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def grants(self, key: str) -> list[tuple[str, str]]:
        acl = self.client.get_object_acl(Bucket=self.name, Key=key)
        return [
            (grant["Grantee"].get("URI") or grant["Grantee"].get("ID", ""), grant["Permission"])
            for grant in acl["Grants"]
        ]

    def environ(self) -> dict[str, str]:
        """The portal's environment for this bucket (portal/storage.py)."""
        return {
            "STORAGE_S3_BUCKET": self.name,
            "STORAGE_S3_ENDPOINT_URL": self.endpoint,
            "STORAGE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "STORAGE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "STORAGE_S3_REGION": REGION,
        }
