"""Every fault case in ../shared/cases, run as `run_cases.py` runs it: the CLI against a loopback server.

The cases stand for kinds of fault seen on real pages; the rules behind them have tests of their
own elsewhere. Held-out cases of the same kinds dropped into that folder run here too.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from support import SHARED

CASES = SHARED / "cases"


def load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_cases", CASES / "run_cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RUNNER = load_runner()


@pytest.fixture(scope="module")
def case_server() -> Iterator[str]:
    server = RUNNER.start_server()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(autouse=True)
def installed_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVCORPUS", str(Path(sys.executable).parent / "govcorpus"))


@pytest.mark.parametrize("case", RUNNER.case_dirs([]), ids=lambda path: path.name)
def test_case(case: Path, case_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    passed = RUNNER.run_case(case, case_server, verbose=False)
    report = capsys.readouterr().out.strip()
    assert passed, report
