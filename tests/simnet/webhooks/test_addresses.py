"""Which URLs and addresses may receive webhooks (pure; the resolver is faked)."""

from __future__ import annotations

import pytest

from simnet.webhooks.addresses import UnsafeUrl, address_problem, check_outbound_url, parse_outbound_url


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.1.1.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("fc00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address, kind):
    assert address_problem(address, allow_loopback=False) == f"{address} is a {kind} address"


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert address_problem(address, allow_loopback=False) is None


def test_loopback_is_allowed_only_when_asked_and_nothing_else_is():
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("::ffff:127.0.0.1", allow_loopback=True) is None
    assert address_problem("10.0.0.1", allow_loopback=True) is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "https:// or http://"),
        ("javascript:alert(1)", "https:// or http://"),
        ("https://user:pass@example.com/", "credentials"),
        ("https:///path", "no host"),
        ("https://example.com:99999/", "port"),
        (" https://example.com/", "spaces"),
        ("https://example.com/\nx", "control"),
    ],
)
def test_malformed_urls_are_refused(url, message):
    with pytest.raises(UnsafeUrl, match=message):
        parse_outbound_url(url)


def test_parse_keeps_path_and_query_and_defaults_the_port():
    assert parse_outbound_url("https://Example.com/h?x=1") == ("https", "example.com", 443, "/h?x=1")
    assert parse_outbound_url("http://example.com") == ("http", "example.com", 80, "/")


def test_every_resolved_address_must_be_public():
    def mixed(host, port):
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(UnsafeUrl, match="non-public address"):
        check_outbound_url("https://hooks.example.com/", allow_loopback=False, resolve=mixed)


def test_a_checked_target_carries_the_addresses_to_connect_to():
    target = check_outbound_url(
        "https://hooks.example.com:8443/in",
        allow_loopback=False,
        resolve=lambda host, port: ["93.184.216.34"],
    )
    assert (target.host, target.port, target.path, target.addresses) == (
        "hooks.example.com",
        8443,
        "/in",
        ("93.184.216.34",),
    )


def test_names_resolving_to_loopback_are_refused_in_production_mode():
    with pytest.raises(UnsafeUrl, match="loopback"):
        check_outbound_url("http://localhost:8000/", allow_loopback=False)
