"""Outbound URL safety: internal addresses refused when saved and when called, also after DNS."""

from __future__ import annotations

import httpx
import pytest

from klachtstroom.platform.outbound.destinations import (
    DestinationRefused,
    OutboundPolicy,
    UnsafeDestination,
    check_destination,
    failure_text,
    guarded_client,
)

INTERNAL = [
    "http://127.0.0.1/x",
    "http://127.1.2.3:8080/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/x",
    "http://172.16.0.1/x",
    "http://192.168.0.10/x",
    "http://100.64.0.1/x",
    "http://0.0.0.0/x",
    "http://224.0.0.251/x",
    "http://[::1]/x",
    "http://[::]/x",
    "http://[fe80::1]/x",
    "http://[fc00::1]/x",
    "http://[fd12:3456::1]/x",
    "http://[ff02::1]/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://localhost/x",
    "http://api.localhost/x",
]


def resolving_to(*addresses: str) -> OutboundPolicy:
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return OutboundPolicy(allowed_hosts=frozenset(), resolver=resolver)


@pytest.mark.parametrize("url", INTERNAL)
async def test_internal_addresses_are_refused_when_saved(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        await check_destination(url, resolving_to("93.184.215.14"))


@pytest.mark.parametrize("url", ["ftp://example.org/x", "http://user:pw@example.org/x", "/relative"])
async def test_only_plain_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        await check_destination(url, resolving_to("93.184.215.14"))


# Found by schemathesis: urlsplit raises ValueError on these (a 500 before), idna on the last.
UNREADABLE = ["http://[", "http://a\uff03b/", "http://\udcb3", "http://x" + "a" * 300 + ".nl"]


@pytest.mark.parametrize("url", UNREADABLE)
async def test_a_url_that_cannot_be_read_is_refused_not_a_crash(url: str) -> None:
    with pytest.raises(UnsafeDestination, match="geen geldig webhookadres"):
        await check_destination(url)


async def test_a_name_resolving_to_any_internal_address_is_refused() -> None:
    await check_destination("https://zorg.example/hook", resolving_to("93.184.215.14"))
    with pytest.raises(UnsafeDestination):
        await check_destination("https://zorg.example/hook", resolving_to("93.184.215.14", "10.0.0.1"))


async def test_an_allowed_host_is_exempt() -> None:
    policy = OutboundPolicy(allowed_hosts=frozenset({"127.0.0.1", "hooks.intern"}))
    await check_destination("http://127.0.0.1:9/x", policy)
    await check_destination("http://HOOKS.intern/x", policy)


async def test_the_environment_lists_allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS", " 127.0.0.1 , [::1]")
    assert OutboundPolicy().allowed_hosts == {"127.0.0.1", "::1"}
    monkeypatch.delenv("KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS")
    assert OutboundPolicy().allowed_hosts == frozenset()


async def test_the_call_goes_to_the_checked_address_and_never_to_a_rebound_one() -> None:
    seen: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    mock = httpx.MockTransport(receiver)
    async with guarded_client(transport=mock, policy=resolving_to("93.184.215.14")) as client:
        assert (await client.post("https://zorg.example/hook", content=b"{}")).status_code == 204
    [request] = seen
    assert request.url.host == "93.184.215.14" and request.headers["host"] == "zorg.example"
    assert request.extensions["sni_hostname"] == "zorg.example"

    async with guarded_client(transport=mock, policy=resolving_to("127.0.0.1")) as client:
        with pytest.raises(DestinationRefused):
            await client.post("https://zorg.example/hook", content=b"{}")
        with pytest.raises(DestinationRefused):
            await client.post("http://169.254.169.254/latest", content=b"{}")
    assert len(seen) == 1


async def test_a_real_connection_to_loopback_is_refused_without_allow_list() -> None:
    """The real transport: nothing listens on port 9, but the guard refuses before connecting."""
    async with guarded_client(1.0, policy=OutboundPolicy(allowed_hosts=frozenset())) as client:
        with pytest.raises(DestinationRefused):
            await client.get("http://127.0.0.1:9/")


async def test_redirects_are_not_followed() -> None:
    def receiver(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://127.0.0.1/"})

    mock = httpx.MockTransport(receiver)
    async with guarded_client(transport=mock, policy=resolving_to("93.184.215.14")) as client:
        assert (await client.get("https://zorg.example/hook")).status_code == 302


def test_failures_read_the_same_whatever_the_cause() -> None:
    assert failure_text(httpx.ConnectError("refused")) == failure_text(httpx.ReadTimeout("slow"))
    assert failure_text(status_code=503) == "HTTP 503"
