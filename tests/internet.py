"""The test internet: serve the portal, forum and news fixture hosts on loopback for end-to-end crawls.

    with start_internet(tmp_path) as net:
        run_cli("crawl", "--config", str(net.config), "--store", str(tmp_path / "corpus"), ...)
        net.servers["portal"].hits("/internal/kpi2023.html")  # 0: robots.txt obeyed
        net.url("forum", "/thread-12345-1-1.html")

Each host gets its own loopback address (127.0.0.2, .3, .4) on a free port; where those cannot be
bound, all three use 127.0.0.1 on distinct ports. The fixture tree is copied to a working
directory so that `{portal}`, `{forum}` and `{news}` in files (sitemap.xml, robots.txt) can be
replaced by the real base URLs; `config` is `sources.toml` with the same substitution.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from govcorpus.sitefixture import SiteServer, serve_site

INTERNET_DIR = Path(__file__).resolve().parent / "fixtures" / "internet"
HOST_ADDRESSES = {"portal": "127.0.0.2", "forum": "127.0.0.3", "news": "127.0.0.4"}
FALLBACK_ADDRESS = "127.0.0.1"


def load_expected() -> dict[str, Any]:
    """The ground truth of a correct crawl: documents, touched URLs with outcomes, never-requested URLs."""
    return json.loads((INTERNET_DIR / "expected.json").read_text(encoding="utf-8"))


@dataclass
class Internet:
    """Three running fixture hosts, their base URLs and the substituted crawl configuration."""

    root: Path
    config: Path
    servers: dict[str, SiteServer] = field(default_factory=dict)

    @property
    def base_urls(self) -> dict[str, str]:
        return {name: server.base_url for name, server in self.servers.items()}

    def url(self, host: str, path: str) -> str:
        """The absolute URL of a path on one host (host is portal, forum or news)."""
        return self.servers[host].base_url + path

    def host_of(self, url: str) -> tuple[str, str] | None:
        """(host name, path) of an absolute URL served by this internet, else None."""
        for name, base in self.base_urls.items():
            if url == base or url.startswith(base + "/"):
                return name, url[len(base) :] or "/"
        return None

    def key_of(self, url: str) -> tuple[str, str]:
        """(host name, path) of a URL this internet serves; ValueError for any other URL."""
        key = self.host_of(url)
        if key is None:
            raise ValueError(f"{url} is not on the fixture internet")
        return key

    def substitute(self, text: str) -> str:
        for name, base in self.base_urls.items():
            text = text.replace("{" + name + "}", base)
        return text

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> Internet:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _serve(site_dir: Path, address: str) -> SiteServer:
    try:
        return serve_site(site_dir, host=address, port=0)
    except OSError:
        return serve_site(site_dir, host=FALLBACK_ADDRESS, port=0)


def start_internet(workdir: Path) -> Internet:
    """Copy the fixture hosts into `workdir`, serve them, and write `workdir/sources.toml`."""
    root = Path(workdir) / "internet"
    internet = Internet(root=root, config=Path(workdir) / "sources.toml")
    try:
        for name, address in HOST_ADDRESSES.items():
            shutil.copytree(INTERNET_DIR / name, root / name, dirs_exist_ok=True)
            internet.servers[name] = _serve(root / name, address)
        # Files are read per request, so they can be rewritten now that the ports are known.
        replacements = {("{" + name + "}").encode(): base.encode() for name, base in internet.base_urls.items()}
        for path in root.rglob("*"):
            if path.is_file() and path.name != "routes.json":
                data = path.read_bytes()
                if b"{" in data and any(key in data for key in replacements):
                    for key, value in replacements.items():
                        data = data.replace(key, value)
                    path.write_bytes(data)
        config = (INTERNET_DIR / "sources.toml").read_text(encoding="utf-8")
        internet.config.write_text(internet.substitute(config), encoding="utf-8")
    except BaseException:
        internet.stop()
        raise
    return internet
