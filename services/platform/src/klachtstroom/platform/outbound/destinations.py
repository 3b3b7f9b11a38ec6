"""Where outbound calls may go: no loopback, link-local, private, multicast or unspecified addresses.

A webhook URL set through the API (a provider's, an escalation's) could otherwise point at the
service's own network: 127.0.0.1, the cloud metadata address 169.254.169.254, a database on
10.0.0.5. Such a URL is refused when it is saved (`check_destination`, answer 422) and again
when a call is made (`GuardedTransport`): the host name is resolved, every address it resolves
to is checked, and the connection goes to the address that was checked, so a name that resolves
to a public address at save time and to 127.0.0.1 later (DNS rebinding) is still refused.

Hosts listed in `KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS` (comma-separated names or addresses;
default empty) are exempt: tests and local demos set it for their fake receivers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

ALLOWED_HOSTS_ENV = "KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS"
RESOLVE_TIMEOUT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Shared address space (carrier-grade NAT, RFC 6598): not `is_private` in Python, still internal.
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class UnsafeDestination(Exception):
    """The URL may not be called: the message says why in Dutch (no address is echoed)."""


class DestinationRefused(httpx.ConnectError):
    """Raised by the transport; a transport error like any other, so senders retry and record it."""


def allowed_hosts_from_environment() -> frozenset[str]:
    raw = os.environ.get(ALLOWED_HOSTS_ENV, "")
    return frozenset(part.strip().lower().strip("[]") for part in raw.split(",") if part.strip())


def address_is_internal(address: IPAddress) -> bool:
    """True for every address that is not plainly on the public internet."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return True
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global
    )


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=RESOLVE_TIMEOUT_SECONDS
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class OutboundPolicy:
    """Which hosts are exempt from the address check; by default those of the environment."""

    allowed_hosts: frozenset[str] = field(default_factory=allowed_hosts_from_environment)
    resolver: Resolver = system_resolver

    def is_allowed(self, host: str) -> bool:
        return host.lower().strip("[]").rstrip(".") in self.allowed_hosts

    def check_syntax(self, url: str) -> tuple[str, int]:
        """Scheme and host of the URL; refuses what is not http(s) or names no host."""
        try:
            parts = urlsplit(url)
            hostname = parts.hostname
            if hostname:
                hostname.encode("idna")  # a name DNS can carry (UnicodeError otherwise)
        except ValueError:  # urlsplit: brackets, characters NFKC turns into separators; idna
            raise UnsafeDestination("Dit is geen geldig webhookadres.") from None
        if parts.scheme not in {"http", "https"} or not hostname:
            raise UnsafeDestination("Alleen een http- of https-adres met een hostnaam is toegestaan.")
        if parts.username or parts.password:
            raise UnsafeDestination("Een webhookadres mag geen gebruikersnaam of wachtwoord bevatten.")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UnsafeDestination("Het poortnummer van het webhookadres is ongeldig.") from None
        return hostname, port

    async def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The checked addresses of `host`; raises `UnsafeDestination` when any one is internal."""
        literal = _literal(host)
        if literal is not None:
            found: Iterable[IPAddress] = [literal]
        else:
            if host.lower().rstrip(".") == "localhost" or host.lower().rstrip(".").endswith(".localhost"):
                raise UnsafeDestination(_INTERNAL)
            found = [ipaddress.ip_address(a.split("%")[0]) for a in await self.resolver(host, port)]
        checked = list(found)
        if not checked or any(address_is_internal(a) for a in checked):
            raise UnsafeDestination(_INTERNAL)
        return checked


_INTERNAL = (
    "Dit webhookadres wijst naar een intern of lokaal netwerkadres; dat is niet toegestaan. "
    "Vraag de beheerder om de host toe te staan (KLACHTSTROOM_OUTBOUND_ALLOWED_HOSTS)."
)


async def check_destination(url: str, policy: OutboundPolicy | None = None) -> None:
    """Refuse (UnsafeDestination) a webhook URL being saved that points at an internal address.

    A name that does not resolve now is accepted: it is checked again on every call.
    """
    policy = policy or OutboundPolicy()
    host, port = policy.check_syntax(url)
    if policy.is_allowed(host):
        return
    try:
        await policy.addresses(host, port)
    except (OSError, TimeoutError):
        return


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to checked, public addresses (or allowed hosts).

    The request goes to the resolved address itself, with the original `Host` header and the
    host name for TLS (SNI and certificate check), so nothing can resolve differently in between.
    """

    def __init__(
        self, inner: httpx.AsyncBaseTransport | None = None, policy: OutboundPolicy | None = None
    ) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.policy = policy or OutboundPolicy()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if self.policy.is_allowed(host):
            return await self.inner.handle_async_request(request)
        try:
            host, port = self.policy.check_syntax(str(request.url))
            [address, *_] = await self.policy.addresses(host, port)
        except UnsafeDestination:
            raise DestinationRefused("destination refused", request=request) from None
        except (OSError, TimeoutError):
            raise httpx.ConnectError("destination did not resolve", request=request) from None
        if _literal(host) is None:
            request.url = request.url.copy_with(host=str(address))
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def guarded_client(
    timeout_seconds: float = 10.0,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    policy: OutboundPolicy | None = None,
) -> httpx.AsyncClient:
    """The httpx client for calls to URLs set through the API: checked addresses, timeouts, no redirects."""
    return httpx.AsyncClient(
        transport=GuardedTransport(transport, policy),
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
    )


def failure_text(error: BaseException | None = None, status_code: int | None = None) -> str:
    """What a caller of our API may see about a failed delivery: no detail a port scan could use.

    Whether the connection was refused, timed out, or the address was not allowed looks the same.
    """
    if status_code is not None:
        return f"HTTP {status_code}"
    return "niet bereikbaar"
