"""Kibana saved objects: the NDJSON's structure, its fields against the index templates, and the import request."""
import base64
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from bridge.__main__ import main
from bridge.kibana.importer import import_saved_objects, target_from_env
from bridge.kibana.saved_objects import NDJSON_PATH, saved_objects, to_ndjson
from bridge.sinks.elasticsearch.document import IndexNames
from bridge.sinks.elasticsearch.template import index_templates, mapped_paths

OBJECTS = [orjson.loads(line) for line in NDJSON_PATH.read_bytes().splitlines()]
BY_ID = {(o["type"], o["id"]): o for o in OBJECTS}
PASSWORD = "kibana-pa55-never-shown"


def test_the_shipped_ndjson_is_the_builder_output():
    assert NDJSON_PATH.read_bytes() == to_ndjson(saved_objects()), "regenerate: python -m bridge.kibana.saved_objects > " + str(NDJSON_PATH)


def test_structure_what_the_issue_asks_for():
    kinds = [o["type"] for o in OBJECTS]
    assert kinds.count("index-pattern") == 2 and kinds.count("search") == 2 and kinds.count("lens") == 4 and kinds.count("dashboard") == 1
    assert len(BY_ID) == len(OBJECTS)
    views = {o["attributes"]["title"]: o["attributes"]["timeFieldName"] for o in OBJECTS if o["type"] == "index-pattern"}
    assert views == {"gcp-logs-*": "@timestamp", "gcp-deadletter-*": "@timestamp"}
    titles = {o["attributes"]["title"] for o in OBJECTS}
    assert {"GKE container errors by namespace", "Audit logs", "Log volume by severity", "Top namespaces by errors",
            "Top pods by errors", "Dead letters", "GCP Log Bridge overview"} <= titles
    for o in OBJECTS:
        assert set(o) >= {"type", "id", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"}


def test_every_reference_resolves_to_an_object_listed_before_it():
    position = {(o["type"], o["id"]): n for n, o in enumerate(OBJECTS)}
    for n, o in enumerate(OBJECTS):
        for ref in o["references"]:
            assert position[(ref["type"], ref["id"])] < n, (o["id"], ref)
    dashboard = next(o for o in OBJECTS if o["type"] == "dashboard")
    panels = orjson.loads(dashboard["attributes"]["panelsJSON"])
    ref_names = {ref["name"] for ref in dashboard["references"]}
    assert len(panels) == 5 and all(f"{p['panelIndex']}:{p['panelRefName']}" in ref_names for p in panels)
    for o in OBJECTS:
        if o["type"] == "search":
            source = orjson.loads(o["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in {ref["name"] for ref in o["references"]}
        if o["type"] == "lens":
            layers = o["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            assert {f"indexpattern-datasource-layer-{layer}" for layer in layers} == {ref["name"] for ref in o["references"]}


KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*:")


def referenced_fields(o):
    """(data view id, field) for every field an object names."""
    attributes = o["attributes"]
    view = next((ref["id"] for ref in o["references"] if ref["type"] == "index-pattern"), o["id"])
    if o["type"] == "index-pattern":
        yield view, attributes["timeFieldName"]
    if o["type"] == "search":
        yield from ((view, f) for f in attributes["columns"])
        yield from ((view, f) for f, _ in attributes["sort"])
        if "breakdownField" in attributes:
            yield view, attributes["breakdownField"]
        query = orjson.loads(attributes["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
        yield from ((view, f) for f in KQL_FIELD.findall(query))
    if o["type"] == "lens":
        for layer in attributes["state"]["datasourceStates"]["formBased"]["layers"].values():
            yield from ((view, c["sourceField"]) for c in layer["columns"].values() if c["sourceField"] != "___records___")
        yield from ((view, f) for f in KQL_FIELD.findall(attributes["state"]["query"]["query"]))


def test_every_referenced_field_exists_in_the_index_template_of_its_data_view():
    templates = index_templates()
    paths_by_pattern = {body["index_patterns"][0]: mapped_paths(body["template"]["mappings"]) for body in templates.values()}
    pattern_of = {o["id"]: o["attributes"]["title"] for o in OBJECTS if o["type"] == "index-pattern"}
    checked = 0
    for o in OBJECTS:
        for view, field in referenced_fields(o):
            paths = paths_by_pattern[pattern_of[view]]
            flattened_parent = any(field.startswith(p + ".") and kind == "flattened" for p, kind in paths.items())
            assert field in paths or flattened_parent, f"{o['id']} references {field}, not in the {pattern_of[view]} template"
            checked += 1
    assert checked >= 25


def test_index_names_follow_the_configuration():
    objects = saved_objects(IndexNames("team-logs", "team-dead"))
    assert [o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"] == ["team-logs-*", "team-dead-*"]


class FakeKibana(BaseHTTPRequestHandler):
    """Checks an import request the way Kibana's saved objects import route does."""

    answer_status = 200
    received = []

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        payload = orjson.dumps(body)
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        url = urlsplit(self.path)
        if not re.fullmatch(r"(/s/[a-z0-9_-]+)?/api/saved_objects/_import", url.path):
            return self.reply(404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"})
        if "kbn-xsrf" not in self.headers:
            return self.reply(400, {"statusCode": 400, "error": "Bad Request", "message": "Request must contain a kbn-xsrf header."})
        if self.answer_status != 200:
            return self.reply(self.answer_status, {"statusCode": self.answer_status, "error": "Unauthorized",
                                                   "message": f"[security_exception] unable to authenticate user, auth {self.headers['authorization']}"})
        content_type = self.headers["content-type"]
        if not content_type.startswith("multipart/form-data; boundary="):
            return self.reply(415, {"statusCode": 415, "error": "Unsupported Media Type", "message": "Unsupported Media Type"})
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        if set(parts) != {"file"}:
            return self.reply(400, {"statusCode": 400, "error": "Bad Request", "message": "[request body.file]: expected value of type [Stream]"})
        filename = parts["file"].get_filename()
        if not filename.endswith(".ndjson"):
            return self.reply(400, {"statusCode": 400, "error": "Bad Request", "message": f"Invalid file extension {filename}"})
        objects = [orjson.loads(line) for line in parts["file"].get_payload(decode=True).splitlines() if line.strip()]
        FakeKibana.received.append({"query": parse_qs(url.query), "path": url.path, "auth": self.headers["authorization"], "objects": objects})
        return self.reply(200, {"success": True, "successCount": len(objects),
                                "successResults": [{"type": o["type"], "id": o["id"], "meta": {}} for o in objects]})


@pytest.fixture
def kibana():
    FakeKibana.received, FakeKibana.answer_status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_posts_multipart_with_xsrf_overwrite_and_credentials(kibana):
    target = target_from_env(kibana, "ops", env={"BRIDGE_KIBANA_USERNAME": "bridge", "BRIDGE_KIBANA_PASSWORD": PASSWORD})
    result = import_saved_objects(target, NDJSON_PATH.read_bytes())
    assert (result.success, result.success_count, result.errors) == (True, len(OBJECTS), [])
    (request,) = FakeKibana.received
    assert request["path"] == "/s/ops/api/saved_objects/_import" and request["query"] == {"overwrite": ["true"]}
    assert request["auth"] == "Basic " + base64.b64encode(f"bridge:{PASSWORD}".encode()).decode()
    assert request["objects"] == OBJECTS
    assert PASSWORD not in repr(target)


def test_the_command_imports_and_reports(kibana, capsys, monkeypatch):
    monkeypatch.setenv("BRIDGE_ES_API_KEY", "es-key-used-for-kibana-too")
    assert main(["kibana-import", "--url", kibana]) == 0
    assert capsys.readouterr().out.strip() == f"kibana-import: success=true imported={len(OBJECTS)} errors=0"
    assert FakeKibana.received[0]["auth"] == "ApiKey es-key-used-for-kibana-too"


def test_a_refused_import_fails_without_showing_the_secret(kibana, capsys, monkeypatch):
    FakeKibana.answer_status = 401
    monkeypatch.setenv("BRIDGE_KIBANA_USERNAME", "bridge")
    monkeypatch.setenv("BRIDGE_KIBANA_PASSWORD", PASSWORD)
    assert main(["kibana-import", "--url", kibana]) == 1
    captured = capsys.readouterr()
    assert "Kibana answered 401" in captured.err
    encoded = base64.b64encode(f"bridge:{PASSWORD}".encode()).decode()
    assert PASSWORD not in captured.err + captured.out and encoded not in captured.err + captured.out
