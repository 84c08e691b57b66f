"""A live `parley serve` with its own embedded MariaDB, for end-to-end tests."""
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / ".build" / "debug" / "parley"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ParleyProcess:
    """One `parley serve` process on a loopback port, with the embedded database in `data_dir`."""

    def __init__(self, data_dir: Path, port: int | None = None, env: dict | None = None, preexec=None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PARLEY_BCRYPT_COST": "10", "PARLEY_LOG_LEVEL": "warning", **(env or {})}
        self.env.pop("DATABASE_URL", None)
        self.preexec = preexec
        self.process: subprocess.Popen | None = None
        self.log = data_dir / f"parley-{self.port}.log"

    def start(self, timeout: float = 90) -> "ParleyProcess":
        assert BINARY.exists(), f"build first: {BINARY} is missing"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [str(BINARY), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--migrations-dir", str(ROOT / "sql")],
            env=self.env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, cwd=self.data_dir, preexec_fn=self.preexec)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"parley exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("parley did not become ready in time")

    def stop(self, timeout: float = 40) -> int:
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code
