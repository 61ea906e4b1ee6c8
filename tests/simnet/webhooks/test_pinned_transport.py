"""The shared outbound guard: numeric spellings of internal addresses, and httpx clients pinned
to the address that was checked (what providers' base URLs use)."""

from __future__ import annotations

import httpx
import pytest

from simnet.webhooks.addresses import PinnedTransport, UnsafeUrl, check_outbound_url
from tests.support.http_loopback import LoopbackServer, Reply


@pytest.fixture
def loopback():
    server = LoopbackServer().start()
    yield server
    server.stop()


def _port(server: LoopbackServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://2130706433/", "loopback"),  # decimal 127.0.0.1
        ("http://0x7f000001/", "loopback"),  # hexadecimal
        ("http://0177.0.0.1/", "loopback"),  # octal
        ("http://127.1/", "loopback"),  # short form
        ("http://2852039166/latest/meta-data/", "link-local"),  # decimal 169.254.169.254
        ("http://[::ffff:169.254.169.254]/", "link-local"),  # IPv4-mapped IPv6
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://0/", "unspecified"),
    ],
)
def test_numeric_spellings_of_internal_addresses_are_refused(url, kind):
    with pytest.raises(UnsafeUrl, match=kind):
        check_outbound_url(url, allow_loopback=False)


def test_a_pinned_client_connects_to_the_checked_address_and_keeps_the_host_name(loopback):
    loopback.script("/v1/ping", Reply(200, {"ok": True}))
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]  # "models.example" does not exist: only the pin can reach the server

    transport = PinnedTransport(allow_loopback=True, resolve=resolve)
    with httpx.Client(transport=transport, trust_env=False) as client:
        response = client.get(f"http://models.example:{_port(loopback)}/v1/ping")

    assert response.status_code == 200 and response.json() == {"ok": True}
    assert asked == ["models.example"]
    assert loopback.requests[0].headers["host"] == f"models.example:{_port(loopback)}"


def test_a_pinned_client_refuses_before_connecting_when_the_name_resolves_inside(loopback):
    transport = PinnedTransport(allow_loopback=False, resolve=lambda host, port: ["127.0.0.1"])
    with (
        httpx.Client(transport=transport, trust_env=False) as client,
        pytest.raises(UnsafeUrl, match="loopback"),
    ):
        client.get(f"http://models.example:{_port(loopback)}/v1/ping")
    assert loopback.requests == []


def test_every_request_is_checked_again(loopback):
    """DNS rebinding: public when first asked, loopback afterwards."""
    loopback.script("/v1/ping", Reply(200, {"ok": True}))
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    transport = PinnedTransport(allow_loopback=True, resolve=lambda host, port: next(answers))
    with httpx.Client(transport=transport, trust_env=False) as client:
        assert client.get(f"http://models.example:{_port(loopback)}/v1/ping").status_code == 200
        with pytest.raises(UnsafeUrl, match="private"):
            client.get(f"http://models.example:{_port(loopback)}/v1/ping")
    assert len(loopback.requests) == 1
