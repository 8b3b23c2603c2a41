"""Issue 12, item 7: one helper gives the client's address to the rate limits and the audit
(SECURITY C1, E5), believing X-Forwarded-For only from the configured proxies."""

import pytest
from django.test import RequestFactory, override_settings

from portal.client import client_address


def request(remote="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_client_and_the_header_is_ignored():
    assert client_address(request(forwarded="198.51.100.1")) == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_the_trusted_proxy_the_forwarded_address_is_the_client():
    assert client_address(request("127.0.0.1", "198.51.100.23")) == "198.51.100.23"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_a_client_cannot_forge_its_address_by_sending_the_header_itself():
    # nginx appends the address it saw: the forged hop stays on the left and is not believed.
    assert client_address(request("127.0.0.1", "10.9.9.9, 198.51.100.23")) == "198.51.100.23"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_a_request_that_does_not_come_through_the_proxy_keeps_its_peer_address():
    assert client_address(request("198.51.100.50", "10.9.9.9")) == "198.51.100.50"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "127.0.0.1"])
def test_a_chain_of_trusted_proxies_is_walked_from_the_right():
    header = "198.51.100.77, 10.1.2.3"
    assert client_address(request("127.0.0.1", header)) == "198.51.100.77"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
@pytest.mark.parametrize(
    "header, expected",
    [
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("198.51.100.9:51234", "198.51.100.9"),
        ("not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_ports_brackets_and_garbage_in_the_header(header, expected):
    assert client_address(request("127.0.0.1", header)) == expected


def test_an_unreadable_peer_address_is_unknown():
    assert client_address(request("")) is None
    assert client_address(None) is None
