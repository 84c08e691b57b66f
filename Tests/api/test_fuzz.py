"""Generated requests against a live server, from openapi.yaml (Schemathesis): every operation
gets valid, boundary and malformed inputs, and every answer must be documented — no 5xx, a status
and error code its operation lists, a body and content type matching its schema."""
import base64
import os
import tempfile
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from live_server import BINARY, ROOT, ParleyProcess
from test_openapi_contract import document, documented_errors

# Left out: the stream (it stays open by design; tests of their own cover it), and the operations
# that would end the fuzzing session itself. The long-poll is in, kept from waiting (below).
SKIPPED_OPERATIONS = ["logout", "changePassword", "revokeSession"]
UNAIMED_OPERATIONS = {"leaveRoom", "transferOwnership", "deleteRoom", "adminDeleteRoom", "archiveRoom"}
# A 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class Target:
    """A member's session with real ids to aim at: an owned room with a second member (who has a
    picture), a message and a shared file."""

    def __init__(self, url: str):
        self.url = url
        self.token = self._sign_up("fz_owner")
        other = self._sign_up("fz_member")
        auth = {"Authorization": f"Bearer {self.token}"}
        self.room = requests.post(url + "/api/rooms", json={"name": "fuzz room"}, headers=auth, timeout=10).json()["room"]["id"]
        joined = requests.post(f"{url}/api/rooms/{self.room}/join", headers={"Authorization": f"Bearer {other}"}, timeout=10)
        assert joined.status_code == 200, joined.text
        self.member = requests.get(url + "/api/me", headers={"Authorization": f"Bearer {other}"}, timeout=10).json()["user"]["id"]
        posted = requests.post(f"{url}/api/rooms/{self.room}/messages", json={"text": "fuzz"}, headers=auth, timeout=10)
        self.message = posted.json()["message"]["id"]
        shared = requests.post(f"{url}/api/rooms/{self.room}/files?name=fuzz.txt", data=b"fuzz file",
                               headers={**auth, "Content-Type": "text/plain"}, timeout=10)
        self.file = shared.json()["message"]["file"]["id"]
        # The member has a picture, so getAvatar answers with one.
        pictured = requests.put(url + "/api/me/avatar", data=PNG, headers={"Authorization": f"Bearer {other}", "Content-Type": "image/png"},
                                timeout=10)
        assert pictured.status_code == 200, pictured.text

    def _sign_up(self, name: str) -> str:
        created = requests.post(self.url + "/api/users", json={"username": name, "password": "password123"}, timeout=10)
        assert created.status_code == 201, created.text
        return requests.post(self.url + "/api/session", json={"username": name, "password": "password123"}, timeout=10).json()["token"]

    @staticmethod
    def no_wait(case) -> None:
        """A long-poll with a valid timeout (or none, 25 s) answers at once instead: timeout=0.
        Invalid ones stay, for their 400."""
        if case.operation.definition.raw.get("operationId") != "events":
            return
        query = case.query if isinstance(case.query, dict) else {}
        timeout = str(query.get("timeout", "0"))
        if timeout.isascii() and timeout.isdigit() and int(timeout) <= 60:
            query["timeout"] = "0"
            case.query = query

    def aim(self, case) -> None:
        """Points about half of the generated ids (path and body) at the real room, member, message
        and file (the generated value decides, so runs repeat), so handlers get past their 404 and
        run their logic. Operations that would take the room from the session (or, archiving it, make
        every later write in it answer 409) are left unaimed."""
        real = {"room": self.room, "user": self.member, "message": self.message, "user_id": self.member, "reply_to": self.message,
                "file": self.file}
        if case.operation.definition.raw.get("operationId") in UNAIMED_OPERATIONS:
            # Steered away: a generated id may be the room's.
            if str((case.path_parameters or {}).get("room")) in {"1", str(self.room)}:
                case.path_parameters["room"] = "999999999"
            return
        for values in (case.path_parameters, case.body):
            if not isinstance(values, dict):
                continue
            for name, value in list(values.items()):
                # Path parameters come as text.
                number = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
                if name in real and isinstance(number, int) and not isinstance(number, bool) and number % 2 == 1:
                    values[name] = str(real[name]) if isinstance(value, str) else real[name]


@pytest.fixture(scope="module")
def target():
    # A server of its own: the fuzzing session is the first account, so a site admin, and what it
    # deletes or deactivates must not reach the other tests.
    with tempfile.TemporaryDirectory(prefix="parley-fuzz-", dir="/tmp") as tmp:
        server = ParleyProcess(Path(tmp)).start()
        try:
            yield Target(server.url)
        finally:
            server.stop()


schema = (schemathesis.openapi.from_path(str(ROOT / "openapi.yaml"))
          .exclude(operation_id=["eventStream"])
          .exclude(operation_id=SKIPPED_OPERATIONS))
DOC = document()


@pytest.mark.skipif(not BINARY.exists(), reason="no server binary")
@schema.parametrize()
@settings(max_examples=int(os.environ.get("PARLEY_FUZZ_EXAMPLES", "30")), derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_documented_answers(case, target):
    target.aim(case)
    target.no_wait(case)
    response = case.call(base_url=target.url, headers={"Authorization": f"Bearer {target.token}"}, timeout=15)
    case.validate_response(
        response, checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance])
    template, method = case.operation.path, case.method.lower()
    if method not in DOC["paths"][template]:
        # The coverage phase also tries methods the path does not have.
        assert response.status_code == 405, f"{case.method} {template} answered {response.status_code}: {response.text}"
    elif response.status_code >= 400:
        code = response.json()["error"]["code"]
        assert code in documented_errors(DOC, template, method)[response.status_code], \
            f"{case.method} {template} answered {response.status_code} {code}, which its operation does not list: {response.text}"
