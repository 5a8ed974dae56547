"""The bridge against a secured Elasticsearch: TLS with a CA file, basic auth, and only the documented roles.

A second Elasticsearch process of the same build, started through the stack's own
bookkeeping with security on: a CA and node certificate made here, file-realm users
holding the roles from bridge.sinks.elasticsearch.roles. (This build has no analysis
module for the .security index, so API keys and native users cannot be created on it;
the file realm checks the same role descriptors.)
"""
from __future__ import annotations

import logging
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request
import uuid
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import AuthorizationException, Elasticsearch

from bridge.model import DecodedEntry
from bridge.sinks.base import Outcome
from bridge.sinks.elasticsearch.document import IndexNames
from bridge.sinks.elasticsearch.replay import replay_elasticsearch_dead_letters
from bridge.sinks.elasticsearch.cluster import install_templates
from bridge.sinks.elasticsearch.roles import roles_yml
from bridge.sinks.elasticsearch.template import TemplateOptions, index_templates
from tests.integration.elasticsearch_support import TRANSFORM, Destination, entries, messages, wait_for
from tests.integration.delivery_support import deliver_until_acked
from tools.stack import Launch, ensure_es_home, ensure_es_user, free_port, java_home, tcp_open

# Two Elasticsearch processes start on a shared, busy machine before the first test here can run.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]
REPO = Path(__file__).resolve().parents[2]
NAMES = IndexNames("sec-logs", "sec-dead")
PASSWORDS = {"writer": "wr1ter-pa55-" + uuid.uuid4().hex[:8], "admin": "adm1n-pa55-" + uuid.uuid4().hex[:8],
             "reader": "r3ader-pa55-" + uuid.uuid4().hex[:8]}
ROLE_OF = {"writer": "gcp_log_bridge_writer", "admin": "gcp_log_bridge_admin", "reader": "gcp_log_bridge_reader"}


@dataclass(frozen=True)
class SecuredCluster:
    url: str
    ca_file: str

    def env(self, user: str) -> dict[str, str]:
        return {"BRIDGE_ES_URL": self.url, "BRIDGE_ES_USERNAME": user, "BRIDGE_ES_PASSWORD": PASSWORDS[user],
                "BRIDGE_ES_CA_FILE": self.ca_file, "BRIDGE_ES_INDEX_PREFIX": NAMES.prefix,
                "BRIDGE_ES_DEADLETTER_PREFIX": NAMES.dead_letter_prefix, "BRIDGE_ES_REPLICAS": "0", "BRIDGE_REDACTION": "off"}

    def destination(self, user: str) -> Destination:
        return Destination.create(self.url, **{k: v for k, v in self.env(user).items() if k != "BRIDGE_ES_URL"})

    def client(self, user: str) -> Elasticsearch:
        return Elasticsearch(self.url, basic_auth=(user, PASSWORDS[user]), ca_certs=self.ca_file, request_timeout=30)


def _certificates(certs: Path) -> None:
    """A CA and a node certificate for 127.0.0.1 / localhost."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=certs)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=bridge-test-ca",
            "-keyout", "ca.key", "-out", "ca.crt")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "node.key", "-out", "node.csr")
    (certs / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "san.ext", "-out", "node.crt")


def _healthy(url: str, ca_file: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    if not tcp_open("127.0.0.1", port):
        return False
    token = b64encode(f"admin:{PASSWORDS['admin']}".encode()).decode()
    request = urllib.request.Request(f"{url}/_cluster/health?wait_for_status=yellow&timeout=1s", headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5, context=ssl.create_default_context(cafile=ca_file)) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def secured(stack):
    home, user = ensure_es_home(), ensure_es_user()
    root = stack.config.state_dir / "es-secure"
    conf, certs = root / "config", root / "config" / "certs"
    for folder in (certs, root / "data", root / "logs", root / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    for name in ("jvm.options", "log4j2.properties"):
        shutil.copyfile(home / "config" / name, conf / name)
    _certificates(certs)
    port, transport_port = free_port(), free_port()
    settings = {
        "cluster.name": "gcp-log-bridge-secure", "node.name": "secure", "path.data": str(root / "data"),
        "path.logs": str(root / "logs"), "network.host": "127.0.0.1", "http.port": port, "transport.port": transport_port,
        "discovery.type": "single-node", "xpack.security.enabled": "true", "xpack.security.enrollment.enabled": "false",
        "xpack.security.http.ssl.enabled": "true", "xpack.security.http.ssl.certificate": "certs/node.crt",
        "xpack.security.http.ssl.key": "certs/node.key", "xpack.security.http.ssl.certificate_authorities": "certs/ca.crt",
        "xpack.security.transport.ssl.enabled": "true", "xpack.security.transport.ssl.certificate": "certs/node.crt",
        "xpack.security.transport.ssl.key": "certs/node.key", "xpack.security.transport.ssl.certificate_authorities": "certs/ca.crt",
    }
    (conf / "elasticsearch.yml").write_text("".join(f"{key}: {value}\n" for key, value in settings.items()))
    (conf / "roles.yml").write_bytes(roles_yml(NAMES))
    for realm_file in ("users", "users_roles"):
        (conf / realm_file).touch()
    env = {"ES_PATH_CONF": str(conf), "ES_JAVA_HOME": str(java_home()), "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
           "ES_TMPDIR": str(root / "tmp"), "HOME": str(root)}
    if user:
        for path in [root, *root.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid)
    for name, password in PASSWORDS.items():
        subprocess.run([str(home / "bin/elasticsearch-users"), "useradd", name, "-p", password, "-r", ROLE_OF[name]],
                       env={**os.environ, **env}, check=True, capture_output=True, user=user.pw_uid if user else None,
                       group=user.pw_gid if user else None)
    url, ca_file = f"https://127.0.0.1:{port}", str(certs / "ca.crt")
    stack.start_process("es-secure", Launch(argv=[str(home / "bin/elasticsearch")], url=url, ports=(port, transport_port),
                                            healthy=lambda: _healthy(url, ca_file), timeout_s=240.0, env=env, user=user, cwd=root))
    try:
        cluster = SecuredCluster(url, ca_file)
        install_templates(cluster.client("admin"), index_templates(NAMES, TemplateOptions(replicas=0)))
        yield cluster
    finally:
        stack.stop("es-secure")


def bridge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bridge", *args], env={**os.environ, **env}, cwd=REPO,
                          capture_output=True, text=True, timeout=180)


def test_setup_needs_the_admin_role_and_the_writer_role_is_enough_to_write_and_dead_letter(secured, caplog):
    refused = bridge(secured.env("writer"), "es-setup")
    setup = bridge(secured.env("admin"), "es-setup")
    print(f"\nwriter es-setup: rc={refused.returncode} {refused.stderr.strip()}\nadmin es-setup: {setup.stdout.strip().splitlines()[-1]}")
    assert refused.returncode == 1 and "security_exception" in refused.stderr and "403" in refused.stderr
    assert setup.returncode == 0 and "installed=0" in setup.stdout, setup.stderr  # the fixture installed them already

    caplog.set_level(logging.DEBUG)
    writer = secured.destination("writer")
    batch = entries(30, "2024-05-01T10:00:00Z") + entries(1, "2024-05-01T11:00:00Z", start=500, jsonPayload={"k" * 40000: 1})
    first = deliver_until_acked(messages(batch), writer.writer(), rounds=1)[0]
    again = deliver_until_acked(messages(batch), writer.writer(), rounds=1)[0]
    print(f"writer role over TLS: written={first.written} dead_lettered={first.dead_lettered} "
          f"redelivered: duplicates={again.duplicates} dead_lettered={again.dead_lettered}")
    assert (first.written, first.dead_lettered, all(first.ack)) == (30, 1, True)
    assert (again.duplicates, again.dead_lettered, all(again.ack)) == (30, 1, True)
    admin = secured.client("admin")
    # The admin role has no `maintenance` (refresh): wait for the periodic refresh instead.
    wait_for(lambda: admin.count(index=NAMES.pattern)["count"] == 30, 30, "30 documents visible to the admin")
    assert admin.count(index=NAMES.dead_letter_pattern)["count"] == 1
    assert all(password not in caplog.text for password in PASSWORDS.values())


def test_the_writer_role_can_do_nothing_else(secured):
    client = secured.client("writer")
    deliver_until_acked(messages(entries(2, "2024-05-02T10:00:00Z", start=900)), secured.destination("writer").writer(), rounds=1)
    attempts = {
        "read logs": lambda: client.search(index=f"{NAMES.prefix}-2024.05.02"),
        "overwrite a document": lambda: client.index(index=f"{NAMES.prefix}-2024.05.02", id="x", document={"a": 1}),
        "delete an index": lambda: client.indices.delete(index=f"{NAMES.prefix}-2024.05.02"),
        "write elsewhere": lambda: client.create(index="other-index", id="1", document={"a": 1}),
        "change templates": lambda: client.indices.delete_index_template(name=NAMES.prefix),
    }
    allowed = []
    for what, attempt in attempts.items():
        try:
            attempt()
            allowed.append(what)
        except AuthorizationException:
            pass
    print(f"\nwriter role refused: {', '.join(sorted(set(attempts) - set(allowed)))}")
    assert allowed == []


def test_the_reader_role_reads_and_changes_nothing(secured):
    deliver_until_acked(messages(entries(2, "2024-05-03T10:00:00Z", start=920)), secured.destination("writer").writer(), rounds=1)
    client = secured.client("reader")
    assert client.count(index=NAMES.pattern)["count"] >= 0
    assert client.count(index=NAMES.prefix)["count"] >= 0  # through the alias
    with pytest.raises(AuthorizationException):
        client.create(index=f"{NAMES.prefix}-2024.05.03", id="1", document={"a": 1})


def test_replay_runs_with_the_admin_role(secured):
    admin = secured.destination("admin")
    before = admin.client.count(index=NAMES.dead_letter_pattern)["count"]
    report = replay_elasticsearch_dead_letters(admin.client, admin.writer(), TRANSFORM, NAMES)
    assert report.seen == before and report.retry == 0 and report.still_failing == before


def test_bad_credentials_and_a_missing_ca_are_transient_and_show_no_secret(secured, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = dict(secured.env("writer"), BRIDGE_ES_PASSWORD="not-the-" + PASSWORDS["writer"])
    destination = Destination.create(secured.url, **{k: v for k, v in wrong.items() if k != "BRIDGE_ES_URL"})
    results = destination.writer().write([TRANSFORM.prepare(DecodedEntry(e)).record
                                          for e in entries(2, "2024-05-04T10:00:00Z", start=950)])
    assert [r.outcome for r in results] == [Outcome.RETRY] * 2 and "401" in results[0].reason
    no_ca = {k: v for k, v in secured.env("writer").items() if k not in ("BRIDGE_ES_URL", "BRIDGE_ES_CA_FILE")}
    untrusted = Destination.create(secured.url, **no_ca).writer().write(
        [TRANSFORM.prepare(DecodedEntry(entries(1, "2024-05-04T10:00:00Z", start=960)[0])).record])
    assert untrusted[0].outcome is Outcome.RETRY and "CERTIFICATE_VERIFY_FAILED" in untrusted[0].reason
    texts = caplog.text + repr(results) + repr(untrusted)
    assert all(password not in texts for password in PASSWORDS.values()) and wrong["BRIDGE_ES_PASSWORD"] not in texts
    print(f"\nwrong password: {results[0].reason[:120]}\nno CA file: {untrusted[0].reason[:120]}")
