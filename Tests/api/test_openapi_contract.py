"""openapi.yaml against the server: every documented error code exists in the sources, each
operation's "Errors:" line says what its responses say, the Event type list is the server's, and a
live server answers a set of probes only with statuses and codes the contract lists."""
import re

import pytest
import requests
import yaml

from live_server import BINARY, ROOT

METHODS = ("get", "post", "put", "patch", "delete")
SOURCES = ROOT / "Sources" / "Parley"


def document() -> dict:
    return yaml.safe_load((ROOT / "openapi.yaml").read_text())


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield path, method, op


def test_every_response_example_fits_its_schema():
    """A client generated from the contract (or a mock server built from its examples) can trust them:
    each example of a response is valid against that response's schema (a hunt found five that
    lacked required fields)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    doc = document()
    registry = Registry().with_resource("urn:parley", Resource.opaque(doc))
    wrong = []
    checked = 0
    for path, method, op in operations(doc):
        for status, response in op.get("responses", {}).items():
            content = resolve(doc, response).get("content", {}).get("application/json")
            if not content or "schema" not in content:
                continue
            examples = [content["example"]] if "example" in content else []
            examples += [e["value"] for e in content.get("examples", {}).values() if "value" in e]
            schema = {"$ref": "urn:parley" + content["schema"]["$ref"]} if "$ref" in content["schema"] else content["schema"]
            validator = Draft202012Validator(_rebased(schema), registry=registry)
            for example in examples:
                checked += 1
                errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(example)]
                if errors:
                    wrong.append(f"{method.upper()} {path} {status}: {errors[:3]}")
    assert checked > 1000
    assert not wrong, "\n".join(wrong)


def _rebased(schema):
    """`$ref`s into the document (`#/components/…`) as references to it in the registry."""
    if isinstance(schema, dict):
        return {k: ("urn:parley" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebased(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebased(v) for v in schema]
    return schema


def resolve(doc: dict, response: dict) -> dict:
    if "$ref" in response:
        resolved = doc["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        return {**resolved, **{k: v for k, v in response.items() if k != "$ref"}}
    return response


def codes(doc: dict, response: dict) -> list[str]:
    """The error codes a response documents: its bullets (`* `code`:`), else its examples."""
    response = resolve(doc, response)
    bullets = re.findall(r"^\* `([a-z_]+)`", response.get("description", ""), re.M)
    if bullets:
        return bullets
    content = response["content"]["application/json"]
    if "example" in content:
        return [content["example"]["error"]["code"]]
    return [example["value"]["error"]["code"] for example in content["examples"].values()]


def documented_errors(doc: dict, path: str, method: str) -> dict[int, set[str]]:
    op = doc["paths"][path][method]
    return {int(status): set(codes(doc, r)) for status, r in op["responses"].items() if int(status) >= 400}


def test_openapi_error_responses_use_the_envelope_and_known_codes():
    doc = document()
    source = "\n".join(p.read_text() for p in SOURCES.rglob("*.swift"))
    literals = set(re.findall(r'"([a-z_]+)"', source))
    for path, method, op in operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            resolved = resolve(doc, response)
            schema = resolved["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            for code in codes(doc, response):
                assert code in literals, f"{method.upper()} {path} {status} documents `{code}`, which no source file contains"


def test_openapi_errors_line_matches_the_responses():
    doc = document()
    for path, method, op in operations(doc):
        expected = "; ".join(
            f"{status} {', '.join(codes(doc, op['responses'][status]))}"
            for status in sorted(op["responses"]) if int(status) >= 400)
        line = op["description"].rstrip().rsplit("Errors: ", 1)
        assert len(line) == 2, f"{method.upper()} {path} has no Errors: line"
        assert line[1] == expected + ".", f"{method.upper()} {path}: Errors line {line[1]!r} != responses {expected!r}"


def test_openapi_event_types_are_the_servers():
    doc = document()
    documented = set(doc["components"]["schemas"]["Event"]["properties"]["type"]["enum"])
    text = (SOURCES / "Events" / "Event.swift").read_text()
    body = text[text.index("public enum EventType"):]
    served = set(re.findall(r'public static let \w+ = "([a-z_.]+)"', body))
    assert served, "no event types found in Event.swift"
    assert documented == served, f"only documented: {documented - served}; only served: {served - documented}"
    description = doc["components"]["schemas"]["Event"]["description"]
    for event_type in served:
        assert f"`{event_type}`" in description, f"the Event description does not describe {event_type}"


def test_the_web_client_listens_for_every_event_type():
    # SSE names each event after its type, and EventSource hears only the names it listens for: a
    # type missing from web/events.js is silently dropped on SSE (long-poll would still deliver it).
    documented = set(document()["components"]["schemas"]["Event"]["properties"]["type"]["enum"])
    source = (ROOT / "web" / "events.js").read_text()
    listed = re.search(r"export const EVENT_TYPES = \[(.*?)\];", source, re.S)
    assert listed, "no EVENT_TYPES in web/events.js"
    heard = set(re.findall(r'"([a-z_.]+)"', listed.group(1)))
    assert documented == heard, f"not listened for: {documented - heard}; not an event type: {heard - documented}"


def test_openapi_state_changing_routes_document_csrf():
    doc = document()
    for path, method, op in operations(doc):
        if method == "get" or not op.get("security", True):
            continue
        assert "csrf_failed" in documented_errors(doc, path, method).get(403, set()), f"{method.upper()} {path}"


# --- Live probes -------------------------------------------------------------------------------

live = pytest.mark.skipif(not BINARY.exists(), reason="no server binary")


class Client:
    def __init__(self, url: str, doc: dict):
        self.url = url
        self.doc = doc
        self.token = None

    def call(self, method: str, path: str, template: str, json=None, expect: tuple[int, str | None] | None = None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = requests.request(method, self.url + path, json=json, headers=headers, timeout=30)
        status = response.status_code
        allowed = self.doc["paths"][template][method.lower()]["responses"]
        assert str(status) in allowed, f"{method} {template} answered {status}, not documented: {response.text}"
        code = None
        if status >= 400:
            code = response.json()["error"]["code"]
            assert code in documented_errors(self.doc, template, method.lower())[status], \
                f"{method} {template} answered {status} {code}, not documented"
        if expect:
            assert (status, code) == expect, f"{method} {template}: {status} {code}: {response.text}"
        return response


def sign_up(parley, doc, name: str) -> tuple[Client, int]:
    client = Client(parley.url, doc)
    created = client.call("POST", "/api/users", "/api/users", {"username": name, "password": "password123"})
    assert created.status_code == 201, created.text
    client.token = client.call("POST", "/api/session", "/api/session", {"username": name, "password": "password123"}).json()["token"]
    return client, created.json()["user"]["id"]


@live
def test_openapi_live_answers_are_documented(parley):
    doc = document()
    owner, _ = sign_up(parley, doc, "oa_owner")
    other, other_id = sign_up(parley, doc, "oa_other")
    room = owner.call("POST", "/api/rooms", "/api/rooms", {"name": "oa room"}, expect=(201, None)).json()["room"]["id"]
    r = f"/api/rooms/{room}"
    other.call("POST", r + "/join", "/api/rooms/{room}/join", expect=(200, None))

    # The reported discrepancies.
    owner.call("DELETE", f"{r}/bans/{other_id}", "/api/rooms/{room}/bans/{user}", expect=(404, "ban_not_found"))
    owner.call("DELETE", f"{r}/mutes/{other_id}", "/api/rooms/{room}/mutes/{user}", expect=(404, "mute_not_found"))
    owner.call("POST", "/api/dms", "/api/dms", {"user_id": 999999}, expect=(404, "user_not_found"))
    owner.call("POST", "/api/rooms", "/api/rooms", {"name": "oa room 2", "kind": "group", "members": [999999]}, expect=(404, "user_not_found"))

    # Bodies: types, enums and optional fields as documented.
    owner.call("PUT", r + "/notifications", "/api/rooms/{room}/notifications", {"level": "loud"}, expect=(400, "invalid_request"))
    owner.call("PUT", r + "/notifications", "/api/rooms/{room}/notifications", {"level": "all"}, expect=(200, None))
    owner.call("PUT", "/api/me/focus", "/api/me/focus", {}, expect=(204, None))
    owner.call("PUT", "/api/me/presence", "/api/me/presence", {"status": "offline"}, expect=(422, "invalid_status"))
    owner.call("PUT", f"{r}/members/{other_id}/role", "/api/rooms/{room}/members/{user}/role", {"role": "owner"},
               expect=(422, "invalid_role"))
    owner.call("POST", "/api/rooms", "/api/rooms", {"name": "x", "kind": "dm"}, expect=(422, "invalid_kind"))
    owner.call("POST", r + "/kick", "/api/rooms/{room}/kick", {"user_id": 999999}, expect=(404, "user_not_found"))
    owner.call("POST", r + "/bans", "/api/rooms/{room}/bans", {"user_id": other_id, "duration_seconds": 0},
               expect=(422, "invalid_duration"))
    owner.call("PUT", r + "/filter", "/api/rooms/{room}/filter", {"words": ["a\nb"], "mode": "mask"}, expect=(422, "invalid_filter"))
    owner.call("GET", "/api/rooms/abc/pins", "/api/rooms/{room}/pins", expect=(400, "invalid_request"))
    owner.call("GET", r + "/moderation?limit=0", "/api/rooms/{room}/moderation", expect=(400, "invalid_request"))
    owner.call("GET", "/api/events?after=-1", "/api/events", expect=(400, "invalid_cursor"))
    owner.call("GET", "/api/events?timeout=61", "/api/events", expect=(400, "invalid_timeout"))

    # Moderation in a DM, and a group hidden from non-members.
    dm = other.call("POST", "/api/dms", "/api/dms", {"user_id": owner_id(owner)}, expect=(201, None)).json()["room"]["id"]
    other.call("POST", f"/api/rooms/{dm}/mutes", "/api/rooms/{room}/mutes", {"user_id": owner_id(owner)}, expect=(409, "not_moderated"))
    other.call("GET", f"/api/rooms/{dm}/filter", "/api/rooms/{room}/filter", expect=(403, "forbidden"))
    group = owner.call("POST", "/api/rooms", "/api/rooms", {"name": "oa group", "kind": "group"}, expect=(201, None)).json()["room"]["id"]
    other.call("PUT", f"/api/rooms/{group}/notifications", "/api/rooms/{room}/notifications", {"level": "all"},
               expect=(404, "room_not_found"))
    other.call("POST", f"/api/rooms/{group}/password", "/api/rooms/{room}/password", {"password": "x"}, expect=(404, "room_not_found"))

    # Events seen by the owner have documented types, and member events carry the documented fields.
    events = owner.call("GET", "/api/events?after=0&timeout=0", "/api/events").json()["events"]
    types = set(doc["components"]["schemas"]["Event"]["properties"]["type"]["enum"])
    assert events and {e["type"] for e in events} <= types
    for event in events:
        if event["type"] == "member.left":
            assert set(event["data"]) == {"room_id", "user", "role"}, event
        if event["type"] == "member.removed":
            assert set(event["data"]) == {"room_id", "user", "role", "by"}, event
        # A join or an addition carries the room as it now is, with the newcomer counted.
        if event["type"] == "member.joined":
            assert set(event["data"]) == {"room_id", "user", "role", "room"}, event
        if event["type"] == "member.added":
            assert set(event["data"]) == {"room_id", "user", "role", "by", "room"}, event
        if event["type"] in ("member.joined", "member.added"):
            room = event["data"]["room"]
            assert room["id"] == event["data"]["room_id"] and room["member_count"] >= 1 and room["my_role"] is None, event
        if event["type"] == "directory.changed":
            assert set(event["data"]) == {"room_id", "room"} and event["room_id"] is None and event["user_id"] is None


def owner_id(client: Client) -> int:
    return requests.get(client.url + "/api/me", headers={"Authorization": f"Bearer {client.token}"}, timeout=10).json()["user"]["id"]
