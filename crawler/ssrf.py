"""The SSRF guard: fetch only public http(s) addresses, for a service that fetches strangers' URLs.

Two Scrapy components, both driven by GOVCORPUS_SSRF_GUARD and GOVCORPUS_SSRF_ALLOW:

- `GuardedResolver` (TWISTED_DNS_RESOLVER) is the reactor's name resolver. Twisted's HostnameEndpoint,
  which every direct HTTP(S) connection goes through, connects to exactly the addresses this resolver
  hands it, so checking them here leaves no gap between check and connect for DNS rebinding to use:
  an address that is refused is never seen by the connector. It is installed once per reactor.
- `SsrfGuardMiddleware` (downloader middleware) refuses non-http(s) schemes and IP-literal hosts
  before anything is sent (robots.txt included), and turns a resolution the resolver refused into
  `ForbiddenAddress`. Redirects are new requests, so every hop passes through both again.

GOVCORPUS_TEST_HOSTS maps names to addresses ahead of real DNS (a list answers in turn), so tests
can make `metadata.test` resolve to 169.254.169.254 without touching the network.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, NotConfigured, NotSupported
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import (
    IAddress,
    IHostnameResolver,
    IHostResolution,
    IResolutionReceiver,
)
from zope.interface import implementer

from crawler.netpolicy import AddressPolicy, parse_address

ALLOWED_SCHEMES = ("http", "https")
# Reserved for testing and documentation (RFC 6761): never sent to real DNS.
RESERVED_SUFFIXES = (".test", ".invalid")
DEFAULT_INNER_RESOLVER = "scrapy.resolver.CachingThreadedResolver"


class ForbiddenAddress(Exception):
    """The URL's host is, or resolves to, an address the SSRF guard does not connect to."""


class ForbiddenScheme(NotSupported):
    """A scheme other than http(s): refused by the SSRF guard."""


def policy_from_settings(settings: BaseSettings) -> AddressPolicy:
    """The policy of GOVCORPUS_SSRF_ALLOW: a list, a JSON array or a comma-separated string.

    Raises ValueError for a JSON array that does not parse (the CLI refuses it before this).
    """
    value = settings.get("GOVCORPUS_SSRF_ALLOW")
    json_array = isinstance(value, str) and value.strip().startswith("[")  # `-s 'GOVCORPUS_SSRF_ALLOW=["10.1.2.3", "intranet.example"]'`
    entries = json.loads(value) if json_array else settings.getlist("GOVCORPUS_SSRF_ALLOW")
    return AddressPolicy.from_allow_list(str(entry) for entry in entries)


def _refusal_message(host: str, address: str, kind: str) -> str:
    shown = host if host == address else f"{host} resolves to {address}, which"
    article = "an" if kind[0] in "aeiouAEIOU" else "a"
    return (
        f"{shown} is {article} {kind} address: only public addresses are fetched "
        "(GOVCORPUS_SSRF_ALLOW lists trusted exceptions)"
    )


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # IHostResolution; a static answer is immediate
        pass


@implementer(IHostnameResolver)
class StaticHostsResolver:
    """Answers names from a fixed map (like /etc/hosts); other names go to `inner`."""

    def __init__(self, hosts: dict[str, Any], inner: IHostnameResolver) -> None:
        self.inner = inner
        self._answers: dict[str, Iterator[str]] = {}
        for name, value in hosts.items():
            addresses = [value] if isinstance(value, str) else [str(item) for item in value]
            self._answers[name.lower().rstrip(".")] = itertools.cycle(addresses)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        name = hostName.lower().rstrip(".")
        answers = self._answers.get(name)
        if answers is None and not name.endswith(RESERVED_SUFFIXES):
            return self.inner.resolveHostName(resolutionReceiver, hostName, portNumber, addressTypes, transportSemantics)
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        if answers is not None:
            address = next(answers)
            address_type = IPv6Address if ":" in address else IPv4Address
            resolutionReceiver.addressResolved(address_type("TCP", address, portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


@implementer(IResolutionReceiver)
class _FilteringReceiver:
    """Passes on only the addresses the policy allows; remembers a refusal for the middleware."""

    def __init__(self, receiver: IResolutionReceiver, host: str, guard: GuardedResolver) -> None:
        self.receiver = receiver
        self.host = host
        self.guard = guard
        self.refused: str | None = None
        self.passed = 0

    def resolutionBegan(self, resolution: IHostResolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:
        host_address = str(getattr(address, "host", ""))
        kind = self.guard.policy.refusal(host_address, self.host)
        if kind is None:
            self.passed += 1
            self.receiver.addressResolved(address)
        elif self.refused is None:
            self.refused = _refusal_message(self.host, host_address, kind)

    def resolutionComplete(self) -> None:
        if self.refused is not None and not self.passed:
            self.guard.remember_refusal(self.host, self.refused)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """TWISTED_DNS_RESOLVER: resolves through an inner resolver and drops non-public addresses.

    With GOVCORPUS_SSRF_GUARD off it only adds GOVCORPUS_TEST_HOSTS, so it is safe to configure
    everywhere. GOVCORPUS_SSRF_RESOLVER names the inner resolver (Scrapy's caching one by default).
    """

    MAX_REFUSALS = 1024

    def __init__(self, reactor: Any, inner: IHostnameResolver, policy: AddressPolicy, enabled: bool) -> None:
        self.reactor = reactor
        self.inner = inner
        self.policy = policy
        self.enabled = enabled
        self._refusals: OrderedDict[str, str] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: Any) -> GuardedResolver:
        settings = crawler.settings
        inner_cls = load_object(settings.get("GOVCORPUS_SSRF_RESOLVER") or DEFAULT_INNER_RESOLVER)
        # Installing the inner resolver first lets Twisted adapt a simple (name → one IPv4) resolver
        # to the IHostnameResolver interface connections use; the guard then wraps that.
        build_from_crawler(inner_cls, crawler, reactor=reactor).install_on_reactor()
        inner: IHostnameResolver = reactor.nameResolver
        test_hosts = settings.getdict("GOVCORPUS_TEST_HOSTS")
        if test_hosts:
            inner = StaticHostsResolver(test_hosts, inner)
        return cls(reactor, inner, policy_from_settings(settings), settings.getbool("GOVCORPUS_SSRF_GUARD"))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        receiver = _FilteringReceiver(resolutionReceiver, hostName, self) if self.enabled else resolutionReceiver
        return self.inner.resolveHostName(receiver, hostName, portNumber, addressTypes, transportSemantics)

    def remember_refusal(self, host: str, message: str) -> None:
        self._refusals[host.lower()] = message
        self._refusals.move_to_end(host.lower())
        while len(self._refusals) > self.MAX_REFUSALS:
            self._refusals.popitem(last=False)

    def take_refusal(self, host: str) -> str | None:
        """Why the last resolution of `host` came back empty, if the guard emptied it."""
        return self._refusals.pop(host.lower(), None)


def installed_guard() -> GuardedResolver | None:
    """The reactor's GuardedResolver, if it is installed and guarding."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "nameResolver", None)
    return resolver if isinstance(resolver, GuardedResolver) and resolver.enabled else None


class SsrfGuardMiddleware:
    """Refuses non-http(s) URLs and non-public IP-literal hosts; names refused resolutions.

    Place it before RobotsTxtMiddleware so a refused URL causes no request at all.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SsrfGuardMiddleware:
        if not crawler.settings.getbool("GOVCORPUS_SSRF_GUARD"):
            raise NotConfigured  # no message: being off is the normal case, not worth a warning
        return cls(policy_from_settings(crawler.settings))

    def process_request(self, request: Request, spider: Any = None) -> None:
        parsed = urlparse_cached(request)
        if parsed.scheme not in ALLOWED_SCHEMES:
            raise ForbiddenScheme(f"{parsed.scheme or 'no'} scheme: only http and https URLs are fetched")
        host = parsed.hostname
        if not host:
            raise ForbiddenAddress(f"{request.url} has no host")
        address = parse_address(host)
        if address is not None:
            kind = self.policy.refusal(address, host)
            if kind is not None:
                raise ForbiddenAddress(_refusal_message(host, host, kind))
        # IP literals are checked again at connect time like names: the resolver must be there.
        if installed_guard() is None:
            raise ForbiddenAddress(
                "GOVCORPUS_SSRF_GUARD is on but the reactor's resolver does not guard: "
                "set TWISTED_DNS_RESOLVER=crawler.ssrf.GuardedResolver"
            )

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if isinstance(exception, CannotResolveHostError | DNSLookupError):
            guard = installed_guard()
            host = urlparse_cached(request).hostname or ""
            refusal = guard.take_refusal(host) if guard is not None else None
            if refusal is not None:
                raise ForbiddenAddress(refusal) from exception
