"""The README's promises: the curl examples work as printed, the embedded database starts, keeps
its data across restarts and stops with the server, and openapi.yaml is a valid OpenAPI 3.1 document."""
import re
import socket
import subprocess
import time
from pathlib import Path

import requests
import yaml
from openapi_spec_validator import validate

from live_server import ROOT, ParleyProcess


def readme_block(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.*?)```", text, re.S)
    assert match, f"README has no block marked {marker}"
    return match.group(1)


def assert_ends(pid: int, message: str, seconds: float = 10) -> None:
    """Waits for process `pid` to end; fails with `message` if it is still there after `seconds`."""
    deadline = time.monotonic() + seconds
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), message


def test_readme_curl_examples_work_as_printed(parley, tmp_path):
    script = readme_block("curl-examples").replace("http://127.0.0.1:8080", parley.url)
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # register, login, checkLogin, logout status, checkLogin after logout
    assert len(lines) == 5, result.stdout
    assert '"username":"alice"' in lines[0] and '"display_name":"Alice"' in lines[0]
    assert '"token":' in lines[1] and '"csrf_token":' in lines[1]
    assert '"username":"alice"' in lines[2] and '"csrf_token":' in lines[2]
    assert lines[3] == "204"
    assert '"code":"unauthenticated"' in lines[4]
    # The cookie jar the example wrote carries the documented cookie flags.
    jar = (tmp_path / "jar.txt").read_text()
    assert "#HttpOnly_127.0.0.1" in jar and "parley_session" in jar


def test_embedded_database_keeps_data_across_restarts_and_stops_with_the_server(fresh_dir):
    server = ParleyProcess(fresh_dir).start()
    try:
        created = requests.post(server.url + "/api/users", json={"username": "persist", "password": "password123"})
        assert created.status_code == 201
        assert (fresh_dir / "db" / "data").is_dir()
        socket_path = fresh_dir / "db" / "mariadb.sock"
        assert socket_path.exists()
        pid = int((fresh_dir / "db" / "mariadb.pid").read_text().strip())
        assert Path(f"/proc/{pid}").exists()
    finally:
        assert server.stop() == 0
    # SIGTERM stopped the embedded mariadbd too.
    assert_ends(pid, "mariadbd outlived parley")

    again = ParleyProcess(fresh_dir).start()
    try:
        login = requests.post(again.url + "/api/session", json={"username": "persist", "password": "password123"})
        assert login.status_code == 200
        assert login.json()["user"]["username"] == "persist"
    finally:
        assert again.stop() == 0


def test_embedded_database_listens_on_no_tcp_port(parley):
    config = (parley.data_dir / "db" / "my.cnf").read_text()
    assert "skip-networking" in config


def test_openapi_document_is_valid():
    document = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_errors_from_a_live_server_use_the_envelope(parley):
    response = requests.post(parley.url + "/api/users", data="{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "malformed_json", "message": "The body is not valid JSON."}}
    assert response.headers["X-Request-Id"]
    too_big = requests.post(parley.url + "/api/session", data=b"{" + b" " * 200_000 + b"}",
                            headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(parley):
    """A JSON route answers 413 on the head's Content-Length alone, as the upload routes do: it had
    waited for the body (15 s and more), or sent 100 Continue to read 25 MiB it would refuse."""
    for expect in [b"", b"Expect: 100-continue\r\n"]:
        with socket.create_connection(("127.0.0.1", parley.port), timeout=10) as connection:
            connection.sendall(b"POST /api/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                               + expect + b"Content-Length: 30000000\r\n\r\n")
            answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        assert b"payload_too_large" in answer and b"100 Continue" not in answer, answer


def test_error_answers_carry_the_security_headers(parley):
    """An error's answer is as safe to open as a success's: a thrown error skipped the headers."""
    for path in ["/api/rooms/999999", "/api/files/1", "/api/users/1/avatar", "/api/emoji/nosuch", "/api/nope"]:
        answer = requests.get(parley.url + path, timeout=10)
        assert 400 <= answer.status_code < 500, path
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", path
        assert "sandbox" in answer.headers.get("Content-Security-Policy", ""), path
        assert answer.headers.get("X-Frame-Options") == "DENY", path
        assert answer.headers.get("Cache-Control") == "private, no-cache", path


def test_head_is_answered_wherever_get_is_with_no_body(parley):
    for path in ["/healthz", "/api/settings", "/", "/app.js"]:
        got = requests.get(parley.url + path, timeout=10)
        head = requests.head(parley.url + path, timeout=10)
        assert (head.status_code, got.status_code) == (200, 200), path
        assert head.content == b""
        assert head.headers["Content-Type"] == got.headers["Content-Type"]
        if "Content-Length" in got.headers:
            assert head.headers["Content-Length"] == got.headers["Content-Length"], path
    # On one connection: the HEAD's answer has no body, so the next answer follows its head at once.
    with socket.create_connection(("127.0.0.1", parley.port), timeout=10) as connection:
        connection.sendall(b"HEAD /api/settings HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    first, rest = data.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 200") and rest.startswith(b"HTTP/1.1 200"), data
    # The event routes, which stay open for a GET, do not wait for a HEAD.
    for path in ["/api/events/stream", "/api/events"]:
        assert 400 <= requests.head(parley.url + path, timeout=10).status_code < 500


def test_head_of_the_data_export_uses_none_of_the_hourly_exports(parley):
    requests.post(parley.url + "/api/users", json={"username": "headcount", "password": "password123"}, timeout=10)
    token = requests.post(parley.url + "/api/session", json={"username": "headcount", "password": "password123"}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    for _ in range(8):
        head = requests.head(parley.url + "/api/me/export", headers=auth, timeout=10)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["Content-Disposition"].startswith('attachment; filename="parley-headcount-')
    assert requests.head(parley.url + "/api/me/export", timeout=10).status_code == 401
    # The mark a HEAD gets inside the server cannot be sent by a client: this GET is a download.
    got = requests.get(parley.url + "/api/me/export", headers={**auth, "Parley-Head": "1"}, timeout=10)
    assert got.status_code == 200 and got.json()["account"]["user"]["username"] == "headcount"
    # Five an hour, all still there after the HEADs.
    for _ in range(4):
        assert requests.get(parley.url + "/api/me/export", headers=auth, timeout=10).status_code == 200
    assert requests.get(parley.url + "/api/me/export", headers=auth, timeout=10).status_code == 429


def test_sigterm_ends_open_streams_and_long_polls(fresh_dir):
    """Graceful shutdown must not wait for SSE streams or long-polls to end by themselves."""
    import threading
    server = ParleyProcess(fresh_dir).start()
    requests.post(server.url + "/api/users", json={"username": "stream", "password": "password123"})
    token = requests.post(server.url + "/api/session", json={"username": "stream", "password": "password123"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    stream = requests.get(server.url + "/api/events/stream", headers=headers, stream=True, timeout=30)
    assert stream.status_code == 200
    first = next(stream.iter_lines())
    assert first.startswith(b"retry:")
    poll_result = {}

    def long_poll():
        poll_result["response"] = requests.get(server.url + "/api/events?timeout=60", headers=headers, timeout=70)

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert server.stop(timeout=30) == 0
    assert time.monotonic() - started < 15
    poller.join(timeout=10)
    assert poll_result["response"].status_code == 200
    assert poll_result["response"].json()["events"] == []
    stream.close()


def test_sigterm_does_not_wait_for_a_client_still_sending_its_body(fresh_dir):
    """A client trickling a request body (or sending none of it) holds a shutdown for a few seconds at
    most, not for as long as it keeps the connection open."""
    import socket
    server = ParleyProcess(fresh_dir).start()
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.sendall(b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a")
    stop = {}

    def stopping():
        started = time.monotonic()
        stop["code"] = server.stop(timeout=60)
        stop["took"] = time.monotonic() - started

    import threading
    stopper = threading.Thread(target=stopping)
    stopper.start()
    # One byte a second, as a slow phone upload or a slowloris client would.
    for _ in range(30):
        if not stopper.is_alive():
            break
        try:
            slow.sendall(b"x")
        except OSError:
            break
        time.sleep(1)
    stopper.join(timeout=60)
    slow.close()
    assert stop["code"] == 0
    assert stop["took"] < 15, stop


def test_the_server_lifts_a_low_open_file_limit_and_holds_more_streams_than_it(fresh_dir):
    """Started with a soft limit of 256 open files (a hard one far above), the server raises its soft
    limit to the hard one and holds 400 event streams at once."""
    import resource
    import socket
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard == resource.RLIM_INFINITY or hard >= 1024, "this test needs a hard limit of at least 1,024"
    streams = 400
    server = ParleyProcess(fresh_dir, preexec=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))).start()
    sockets = []
    try:
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
        soft_now, hard_now = re.search(r"Max open files\s+(\S+)\s+(\S+)", limits).groups()
        assert soft_now == hard_now and soft_now != "256", limits
        requests.post(server.url + "/api/users", json={"username": "many", "password": "password123"}, timeout=10)
        token = requests.post(server.url + "/api/session", json={"username": "many", "password": "password123"}, timeout=10).json()["token"]
        request = (f"GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n").encode()
        for _ in range(streams):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=20)
            connection.sendall(request)
            sockets.append(connection)
        for connection in sockets:
            head = b""
            while b"\r\n" not in head:
                chunk = connection.recv(256)
                assert chunk, "a stream was closed before it answered"
                head += chunk
            assert head.startswith(b"HTTP/1.1 200"), head
        assert requests.get(server.url + "/readyz", timeout=10).status_code == 200
    finally:
        for connection in sockets:
            connection.close()
        server.stop()


def test_the_embedded_database_is_restarted_after_it_dies_and_nothing_is_lost(fresh_dir):
    """kill -9 of the embedded mariadbd: requests meanwhile get 503 `unavailable` with Retry-After
    (never a 500), the server starts the database again within seconds, what was committed before
    is still there, and an event stream opened before the crash receives what is posted after it."""
    import os
    import signal
    import socket
    server = ParleyProcess(fresh_dir).start()
    try:
        tokens = {}
        for name in ("alice", "bob"):
            requests.post(server.url + "/api/users", json={"username": name, "password": "password123"}, timeout=10)
            tokens[name] = requests.post(server.url + "/api/session", json={"username": name, "password": "password123"},
                                         timeout=10).json()["token"]
        alice = {"Authorization": f"Bearer {tokens['alice']}"}
        stream = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        stream.sendall(f"GET /api/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tokens['bob']}\r\n\r\n".encode())
        assert stream.recv(64).startswith(b"HTTP/1.1 200")
        before = requests.post(server.url + "/api/rooms/1/messages", json={"text": "before the crash"}, headers=alice, timeout=10)
        assert before.status_code == 201

        pid = int((fresh_dir / "db" / "mariadb.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        # Until the kernel has ended it (a zombie, or reaped), a busy machine may still let it answer.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.01)
        answers = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            answer = requests.post(server.url + "/api/rooms/1/messages", json={"text": "after the restart"}, headers=alice, timeout=30)
            answers.append(answer)
            if answer.status_code == 201:
                break
            time.sleep(0.1)
        assert answers[-1].status_code == 201, [a.text for a in answers[-3:]]
        refused = answers[:-1]
        assert refused, "the request right after the kill was answered as if nothing happened"
        for answer in refused:
            assert answer.status_code == 503 and answer.json()["error"]["code"] == "unavailable", answer.text
            assert answer.headers["Retry-After"] == "2"

        history = requests.get(server.url + "/api/rooms/1/messages", headers=alice, timeout=10).json()["messages"]
        assert [m["text"] for m in history[:2]] == ["after the restart", "before the crash"]
        received = b""
        while b"after the restart" not in received:
            chunk = stream.recv(65536)
            assert chunk, "the stream ended"
            received += chunk
        stream.close()
        assert requests.get(server.url + "/readyz", timeout=10).status_code == 200
        # The restart is logged once the database answers, which requests may notice first.
        deadline = time.monotonic() + 10
        while "started it again" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "started it again" in server.log.read_text()
    finally:
        server.stop()


def test_a_database_left_behind_by_a_killed_server_is_taken_over_and_stopped(fresh_dir):
    """parley killed with SIGKILL leaves its mariadbd running. The next parley on that directory
    uses it (the data is there), a `parley migrate` beside it leaves it alone, and when that parley
    stops, the database stops too, as the README promises."""
    from live_server import BINARY
    first = ParleyProcess(fresh_dir).start()
    requests.post(first.url + "/api/users", json={"username": "left", "password": "password123"}, timeout=10)
    database = int((fresh_dir / "db" / "mariadb.pid").read_text().strip())
    first.process.kill()
    first.process.wait()
    first.process = None
    assert Path(f"/proc/{database}").exists(), "mariadbd did not outlive a killed parley; nothing to take over"

    second = ParleyProcess(fresh_dir).start()
    try:
        login = requests.post(second.url + "/api/session", json={"username": "left", "password": "password123"}, timeout=10)
        assert login.status_code == 200
        migrate = subprocess.run([str(BINARY), "migrate", "--data-dir", str(fresh_dir), "--migrations-dir", str(ROOT / "sql")],
                                 capture_output=True, text=True, timeout=120)
        assert migrate.returncode == 0, migrate.stderr
        assert Path(f"/proc/{database}").exists(), "parley migrate stopped the database the server uses"
        assert requests.get(second.url + "/readyz", timeout=10).status_code == 200
    finally:
        assert second.stop() == 0
    assert_ends(database, "mariadbd outlived the parley that took it over")


def test_the_log_keeps_no_secret_that_rides_in_a_path(fresh_dir):
    """A webhook's token, an invite code and a password reset code are credentials stored only as
    hashes: the request log at its default level shows `…` in their place (it showed them whole)."""
    server = ParleyProcess(fresh_dir, env={"PARLEY_LOG_LEVEL": "info"}).start()
    try:
        base = server.url
        assert requests.post(base + "/api/users", json={"username": "ann", "password": "correct horse"}).status_code == 201
        token = requests.post(base + "/api/session", json={"username": "ann", "password": "correct horse"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        room = requests.post(base + "/api/rooms", json={"name": "builds"}, headers=auth).json()["room"]["id"]
        hook = requests.post(f"{base}/api/rooms/{room}/webhooks", json={"name": "CI"}, headers=auth).json()["webhook"]["url"]
        hook_token = hook.rsplit("/", 1)[1]
        assert requests.post(base + hook, json={"text": "build passed"}).status_code == 201
        assert requests.get(f"{base}/api/invites/0123456789abcdef0123456789abcdef", headers=auth).status_code == 404
        assert requests.get(f"{base}/api/password-resets/fedcba9876543210fedcba9876543210").status_code == 404
    finally:
        server.stop()
    log = server.log.read_text()
    assert "POST /api/hooks/… 201" in log and "GET /api/invites/… 404" in log and "GET /api/password-resets/… 404" in log, log[-3000:]
    for secret in (hook_token, "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"):
        assert secret not in log
