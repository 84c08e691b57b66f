"""Fixtures for end-to-end tests: a live `parley serve` with its own embedded MariaDB."""
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_server import BINARY, ROOT, ParleyProcess, free_port  # noqa: F401


@pytest.fixture(scope="session")
def parley():
    with tempfile.TemporaryDirectory(prefix="parley-e2e-", dir="/tmp") as tmp:
        server = ParleyProcess(Path(tmp)).start()
        yield server
        server.stop()


@pytest.fixture
def fresh_dir():
    with tempfile.TemporaryDirectory(prefix="parley-e2e-", dir="/tmp") as tmp:
        yield Path(tmp)
