"""The packages' layering, read from the source: which package may import which, and that every
GOVCORPUS_* setting the code reads is declared with its default in crawler/settings.py."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO

import crawler.settings

# Each package may import only the packages below it: cleaners (bytes to text, no Scrapy, no store),
# storage (object stores, manifests, dedup), crawler (Scrapy), govcorpus (CLI, scheduler, service).
MAY_IMPORT = {
    "cleaners": set(),
    "storage": {"cleaners"},
    "crawler": {"cleaners", "storage"},
    "govcorpus": {"cleaners", "storage", "crawler"},
}
SETTING_PREFIX = "GOVCORPUS_"


def modules(package: str) -> Iterator[tuple[str, ast.Module]]:
    """(dotted module name, syntax tree) of every module of `package`."""
    root = REPO / package
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported(module: str, tree: ast.Module, is_package: bool) -> Iterator[tuple[str, int]]:
    """(absolute module name, line) of every import in the module, at any depth (functions too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's own package, `level - 1` packages up
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                yield ".".join([*base, *([node.module] if node.module else [])]), node.lineno
            else:
                yield node.module or "", node.lineno


def layer_violations(package: str) -> list[str]:
    """Imports in `package` of one of our packages it may not import, as 'module:line imports name'."""
    found = []
    for module, tree in modules(package):
        is_package = (REPO / Path(*module.split("."))).is_dir()
        for name, line in imported(module, tree, is_package):
            top = name.split(".")[0]
            if top in MAY_IMPORT and top != package and top not in MAY_IMPORT[package]:
                found.append(f"{module}:{line} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_the_packages_below_it(package: str) -> None:
    assert layer_violations(package) == [], f"{package} may import only {sorted(MAY_IMPORT[package]) or 'none of ours'}"


def test_the_import_reader_sees_imports_of_every_kind() -> None:
    """The reader itself: plain, from-, relative and function-level imports all count."""
    source = "\n".join(
        [
            "import crawler.ssrf",
            "from storage import corpus",
            "from . import steps",
            "from ..govcorpus import cli",
            "def f() -> None:",
            "    from crawler.items import FetchedItem",
        ]
    )
    names = [name for name, _ in imported("cleaners.pipeline", ast.parse(source), is_package=False)]
    assert names == ["crawler.ssrf", "storage", "cleaners", "govcorpus", "crawler.items"]


def setting_names() -> dict[str, list[str]]:
    """Every GOVCORPUS_* name written as a string in the packages' code, with where it is written."""
    found: dict[str, list[str]] = {}
    for package in MAY_IMPORT:
        for module, tree in modules(package):
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and node.value.startswith(SETTING_PREFIX)
                    and node.value[len(SETTING_PREFIX) :].replace("_", "").isalnum()
                    and node.value.isupper()
                ):
                    found.setdefault(node.value, []).append(f"{module}:{node.lineno}")
    return found


def test_every_setting_the_code_reads_is_declared_with_a_default() -> None:
    names = setting_names()
    assert {"GOVCORPUS_STORE", "GOVCORPUS_REDIS_URL", "GOVCORPUS_SSRF_ALLOW"} <= set(names)  # the scan sees them
    declared = {name for name in dir(crawler.settings) if name.startswith(SETTING_PREFIX)}
    missing = {name: where for name, where in names.items() if name not in declared}
    assert missing == {}, "declare these in crawler/settings.py, with their defaults"
