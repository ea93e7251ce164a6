"""The SSRF guard: the address policy, the resolver and middleware, and the service refusing real requests."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings
from test_service import HTML, Service, report_html, running_service
from twisted.internet.address import IPv4Address
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from crawler.netpolicy import AddressPolicy, address_kind, parse_address
from crawler.ssrf import (
    ForbiddenAddress,
    ForbiddenScheme,
    GuardedResolver,
    SsrfGuardMiddleware,
    StaticHostsResolver,
)
from govcorpus.sitefixture import SiteServer, serve_site


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("233.1.1.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::ffff:127.0.0.1", "IPv4-mapped IPv6"),
        ("::ffff:8.8.8.8", "IPv4-mapped IPv6"),
        ("64:ff9b::a9fe:a9fe", "NAT64 of link-local"),
        ("2002:7f00:1::", "6to4 of loopback"),
        ("240.0.0.1", "private"),
        ("192.0.2.1", "private"),
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address: str, kind: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808", "100.128.0.1"])
def test_public_addresses_pass(address: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("fe80::1%eth0", "fe80::1"),
    ],
)
def test_ip_literals_are_read_as_a_resolver_reads_them(host: str, address: str) -> None:
    assert parse_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.gov.cn", "metadata.test", "localhost", ""])
def test_names_are_not_ip_literals(host: str) -> None:
    assert parse_address(host) is None


def test_allow_list_takes_addresses_networks_and_names() -> None:
    policy = AddressPolicy.from_allow_list(["127.0.0.2", "10.0.0.0/8", "Intranet.Example.", " "])
    assert policy.refusal("127.0.0.2") is None
    assert policy.refusal("127.0.0.1") == "loopback"
    assert policy.refusal("10.9.8.7") is None
    assert policy.refusal("192.168.0.1", host="intranet.example") is None
    assert policy.refusal("192.168.0.1", host="other.example") == "private"
    assert policy.refusal("::ffff:127.0.0.2") == "IPv4-mapped IPv6"


# --- resolver and middleware, without a reactor ----------------------------------------------


@implementer(IResolutionReceiver)
class Collect:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution: Any) -> None:
        pass

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


@implementer(IHostnameResolver)
class RecordingResolver:
    """Stands in for real DNS: answers 8.8.8.8 for anything and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def resolveHostName(self, receiver: Any, hostName: str, portNumber: int = 0, *args: Any) -> Any:
        self.asked.append(hostName)
        receiver.resolutionBegan(None)
        receiver.addressResolved(IPv4Address("TCP", "8.8.8.8", portNumber))
        receiver.resolutionComplete()


def guard(hosts: dict[str, Any], allow: list[str]) -> tuple[GuardedResolver, RecordingResolver]:
    real = RecordingResolver()
    return GuardedResolver(None, StaticHostsResolver(hosts, real), AddressPolicy.from_allow_list(allow), enabled=True), real


def resolve(resolver: GuardedResolver, host: str) -> Collect:
    receiver = Collect()
    resolver.resolveHostName(receiver, host, 80)
    assert receiver.complete
    return receiver


def test_resolver_drops_a_metadata_address_and_says_why() -> None:
    resolver, _ = guard({"metadata.test": "169.254.169.254"}, [])
    assert resolve(resolver, "metadata.test").addresses == []
    refusal = resolver.take_refusal("metadata.test")
    assert refusal is not None and "169.254.169.254" in refusal and "link-local" in refusal
    assert resolver.take_refusal("metadata.test") is None


def test_every_resolution_is_checked_so_rebinding_is_refused() -> None:
    # The name answers an allowed address first, then loopback: what the connector receives is
    # exactly what passed the check, each time.
    resolver, _ = guard({"rebind.test": ["127.0.0.2", "127.0.0.1", "127.0.0.2"]}, ["127.0.0.2"])
    assert resolve(resolver, "rebind.test").addresses == ["127.0.0.2"]
    assert resolve(resolver, "rebind.test").addresses == []
    assert "loopback" in (resolver.take_refusal("rebind.test") or "")
    assert resolve(resolver, "rebind.test").addresses == ["127.0.0.2"]


def test_reserved_test_names_never_reach_real_dns() -> None:
    resolver, real = guard({"site.test": "8.8.4.4"}, [])
    assert resolve(resolver, "site.test").addresses == ["8.8.4.4"]
    assert resolve(resolver, "unknown.test").addresses == []
    assert resolve(resolver, "nothing.invalid").addresses == []
    assert resolve(resolver, "example.gov.cn").addresses == ["8.8.8.8"]
    assert real.asked == ["example.gov.cn"]


def test_disabled_guard_passes_everything() -> None:
    real = RecordingResolver()
    resolver = GuardedResolver(None, StaticHostsResolver({"metadata.test": "169.254.169.254"}, real), AddressPolicy(), enabled=False)
    assert resolve(resolver, "metadata.test").addresses == ["169.254.169.254"]


def middleware(allow: str = "") -> SsrfGuardMiddleware:
    settings = Settings({"GOVCORPUS_SSRF_GUARD": True, "GOVCORPUS_SSRF_ALLOW": allow})
    return SsrfGuardMiddleware.from_crawler(type("FakeCrawler", (), {"settings": settings})())


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html,<p>hi</p>", "ftp://127.0.0.2/report.pdf", "gopher://x.test/"])
def test_middleware_refuses_other_schemes(url: str) -> None:
    with pytest.raises(ForbiddenScheme):
        middleware().process_request(Request(url))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "http://[::ffff:7f00:1]/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://100.64.1.1/",
        "http://10.0.0.1:8080/",
    ],
)
def test_middleware_refuses_non_public_ip_literals(url: str) -> None:
    with pytest.raises(ForbiddenAddress):
        middleware(allow="127.0.0.2").process_request(Request(url))


# --- the service refusing real requests ------------------------------------------------------


@pytest.fixture(scope="module")
def loopback_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """A server on 127.0.0.1, not on the allow-list: it must never be asked anything."""
    root = tmp_path_factory.mktemp("internal")
    (root / "secret.html").write_text(report_html("003", "内部文件2023年工作总结"), encoding="utf-8")
    (root / "routes.json").write_text(json.dumps([{"path": "/secret.html", "file": "secret.html", "headers": HTML}]))
    with serve_site(root, host="127.0.0.1") as server:
        yield server


@pytest.fixture(scope="module")
def allowed_site(tmp_path_factory: pytest.TempPathFactory, loopback_only: SiteServer) -> Iterator[SiteServer]:
    root = tmp_path_factory.mktemp("allowed")
    (root / "report.html").write_text(report_html("003", "新华路街道2023年工作总结"), encoding="utf-8")
    port = loopback_only.port
    redirects = {
        "/to-loopback": f"http://127.0.0.1:{port}/secret.html",
        "/to-loopback-name": f"http://loopback.test:{port}/secret.html",
        "/to-metadata": "http://metadata.test/latest/meta-data/",
        "/to-file": "file:///etc/passwd",
        "/to-allowed": "/report.html",
    }
    routes: list[dict[str, Any]] = [{"path": "/report.html", "file": "report.html", "headers": HTML}]
    routes += [{"path": path, "status": 302, "redirect": target} for path, target in redirects.items()]
    (root / "routes.json").write_text(json.dumps(routes))
    with serve_site(root, host="127.0.0.2") as server:
        yield server


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running_service(tmp_path_factory.mktemp("ssrf") / "corpus", GOVCORPUS_SSRF_ALLOW="127.0.0.2") as service:
        yield service


def assert_forbidden(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["reason"] == "forbidden_address", body
    return body


def test_allowed_test_host_is_fetched(guarded: Service, allowed_site: SiteServer) -> None:
    response = guarded.fetch(allowed_site.url("/to-allowed"), store=False)
    assert response.status_code == 200, response.text
    response = guarded.fetch(f"http://site.test:{allowed_site.port}/report.html", store=False)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/to-loopback", "/to-loopback-name"])
def test_redirect_from_an_allowed_host_to_loopback_is_refused(
    guarded: Service, allowed_site: SiteServer, loopback_only: SiteServer, path: str
) -> None:
    assert_forbidden(guarded.fetch(allowed_site.url(path), store=False))
    assert loopback_only.requests == []


def test_redirect_to_the_metadata_address_is_refused(guarded: Service, allowed_site: SiteServer) -> None:
    body = assert_forbidden(guarded.fetch(allowed_site.url("/to-metadata"), store=False))
    assert "169.254.169.254" in body["detail"]


def test_redirect_to_file_is_not_followed(guarded: Service, allowed_site: SiteServer) -> None:
    response = guarded.fetch(allowed_site.url("/to-file"), store=False)
    assert response.status_code != 200
    assert "root:" not in response.text


def test_host_resolving_to_the_metadata_address_is_refused(guarded: Service) -> None:
    body = assert_forbidden(guarded.fetch("http://metadata.test/latest/meta-data/iam/security-credentials/"))
    assert "link-local" in body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://2130706433:{port}/secret.html",
        "http://127.0.0.1:{port}/secret.html",
        "http://[::1]:{port}/secret.html",
        "http://loopback.test:{port}/secret.html",
    ],
)
def test_non_public_targets_are_refused(guarded: Service, loopback_only: SiteServer, url: str) -> None:
    assert_forbidden(guarded.fetch(url.format(port=loopback_only.port), store=False))
    assert loopback_only.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "data:text/html;base64,PHA+aGk8L3A+", "ftp://127.0.0.2/report.pdf"])
def test_other_schemes_are_refused(guarded: Service, url: str) -> None:
    response = guarded.fetch(url)
    assert response.status_code == 400
    assert response.json()["reason"] == "unsupported_scheme"


def test_nothing_refused_was_stored(guarded: Service) -> None:
    documents = guarded.client.get("/documents").json()
    assert documents["total"] == 0



# --- the README's allow-list example ---------------------------------------------------------


@pytest.fixture(scope="module")
def intranet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    """A trusted internal host on loopback: reachable only through the allow-list."""
    root = tmp_path_factory.mktemp("intranet")
    (root / "report.html").write_text(report_html("001", "某某区2024年政府工作报告"), encoding="utf-8")
    (root / "routes.json").write_text(json.dumps([{"path": "/report.html", "file": "report.html", "headers": HTML}]))
    with serve_site(root, host="127.0.0.1") as server:
        yield server


@pytest.fixture(scope="module")
def readme_allow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`-s 'GOVCORPUS_SSRF_ALLOW=["127.0.0.2", "intranet.test"]'`, written as the README writes it."""
    hosts = {"intranet.test": "127.0.0.1", "other.test": "127.0.0.1"}
    with running_service(
        tmp_path_factory.mktemp("allow") / "corpus",
        GOVCORPUS_SSRF_ALLOW='["127.0.0.2", "intranet.test"]',
        GOVCORPUS_TEST_HOSTS=json.dumps({"site.test": "127.0.0.2", **hosts}),
    ) as service:
        yield service


def test_readme_allow_list_example_allows_an_address_and_a_name(
    readme_allow: Service, allowed_site: SiteServer, intranet: SiteServer
) -> None:
    by_address = readme_allow.fetch(allowed_site.url("/report.html"), store=False)
    assert by_address.status_code == 200, by_address.text
    by_name = readme_allow.fetch(f"http://intranet.test:{intranet.port}/report.html", store=False)
    assert by_name.status_code == 200, by_name.text
    # A name on the list allows that name, not the address it resolves to, nor other names there.
    assert_forbidden(readme_allow.fetch(intranet.url("/report.html"), store=False))
    assert_forbidden(readme_allow.fetch(f"http://other.test:{intranet.port}/report.html", store=False))
    assert [target for _, target, _ in intranet.requests if target != "/robots.txt"] == ["/report.html"]
