"""Settings from the environment and Secret Manager; secrets never printed, logged or raised."""
import logging

import pytest

from bridge.errors import ConfigError, TransientWriteError
from bridge.sinks.elasticsearch.cluster import ClientTransport, build_client
from bridge.sinks.elasticsearch.settings import Secret, parse_size, secret_version_name, settings_from_env

API_KEY = "c2VjcmV0LWFwaS1rZXktdmFsdWU6eHl6"
PASSWORD = "pa55-w0rd-never-shown"


def test_api_key_from_the_environment():
    settings = settings_from_env({"BRIDGE_ES_URL": "https://es.internal:9243", "BRIDGE_ES_API_KEY": API_KEY})
    options = settings.client_options()
    assert options["hosts"] == ["https://es.internal:9243"] and options["api_key"] == API_KEY
    assert options["max_retries"] == 0 and "basic_auth" not in options


def test_basic_auth_and_ca_file(tmp_path):
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    settings = settings_from_env(
        {"BRIDGE_ES_USERNAME": "bridge", "BRIDGE_ES_PASSWORD": PASSWORD, "BRIDGE_ES_CA_FILE": str(ca)}
    )
    assert settings.client_options()["basic_auth"] == ("bridge", PASSWORD)
    assert settings.client_options()["ca_certs"] == str(ca)


def test_credentials_in_the_url_move_out_of_it():
    settings = settings_from_env({"BRIDGE_ES_URL": f"https://bridge:{PASSWORD}@es.internal:9243/"})
    assert settings.url == "https://es.internal:9243/" and PASSWORD not in repr(settings)
    assert settings.client_options()["basic_auth"] == ("bridge", PASSWORD)


def test_secret_manager_names_are_resolved_through_the_injected_fetcher():
    asked = []

    def fetch(name):
        asked.append(name)
        return API_KEY + "\n"

    settings = settings_from_env({"BRIDGE_ES_API_KEY_SECRET": "es-api-key"}, fetch_secret=fetch)
    assert asked == ["es-api-key"] and settings.api_key == Secret(API_KEY)
    assert secret_version_name("es-api-key", "proj") == "projects/proj/secrets/es-api-key/versions/latest"
    assert secret_version_name("projects/q/secrets/k/versions/3", None) == "projects/q/secrets/k/versions/3"
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT"):
        secret_version_name("es-api-key", None)


def test_a_failing_secret_fetch_names_the_secret_not_its_value():
    def fetch(name):
        raise PermissionError(f"denied for {name}")

    with pytest.raises(ConfigError) as raised:
        settings_from_env({"BRIDGE_ES_PASSWORD_SECRET": "projects/p/secrets/pw", "BRIDGE_ES_USERNAME": "u"}, fetch_secret=fetch)
    assert "projects/p/secrets/pw" in str(raised.value) and "PermissionError" in str(raised.value)


def test_secrets_never_show_in_repr_str_or_config_errors():
    settings = settings_from_env({"BRIDGE_ES_API_KEY": API_KEY, "BRIDGE_ES_USERNAME": "u", "BRIDGE_ES_PASSWORD": PASSWORD})
    for text in (repr(settings), str(settings), repr(settings.api_key), f"{settings.password}"):
        assert API_KEY not in text and PASSWORD not in text
    assert settings.scrub(f"failed with key {API_KEY} and {PASSWORD}") == "failed with key *** and ***"
    with pytest.raises(ConfigError) as raised:
        settings_from_env({"BRIDGE_ES_PASSWORD": PASSWORD})
    assert PASSWORD not in str(raised.value)


def test_client_errors_carry_no_secret_and_nothing_is_logged_with_one(caplog):
    """A real client against a closed port: the error and every log record are free of the key."""
    settings = settings_from_env({"BRIDGE_ES_URL": "http://127.0.0.1:9", "BRIDGE_ES_API_KEY": API_KEY, "BRIDGE_ES_REQUEST_TIMEOUT_S": "2"})
    transport = ClientTransport(build_client(settings), settings.scrub)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TransientWriteError) as raised:
        transport.bulk(b'{"create":{"_index":"i","_id":"1"}}\n{}\n', timeout_s=2)
    assert raised.value.reason == "connection"
    texts = [str(raised.value), repr(raised.value), *(r.getMessage() for r in caplog.records), caplog.text]
    assert all(API_KEY not in text for text in texts)


def test_tuning_variables():
    settings = settings_from_env({
        "BRIDGE_ES_BULK_MAX_ACTIONS": "250", "BRIDGE_ES_BULK_MAX_BYTES": "5mb", "BRIDGE_ES_MAX_CONTENT_LENGTH": "2mb",
        "BRIDGE_ES_INDEX_PREFIX": "team-logs", "BRIDGE_ES_REPLICAS": "0", "BRIDGE_ES_RETRY_DEADLINE_S": "20",
    })
    assert (settings.limits.max_actions, settings.limits.body_bytes) == (250, 2 * 1024**2)
    assert settings.names.prefix == "team-logs" and settings.names.dead_letter_prefix == "gcp-deadletter"
    assert settings.template.replicas == 0 and settings.retry.deadline_s == 20.0
    assert [parse_size(s) for s in ("100mb", "1kb", "512", "2gb")] == [100 * 1024**2, 1024, 512, 2 * 1024**3]
    with pytest.raises(ConfigError):
        parse_size("lots")
    with pytest.raises(ConfigError, match="BRIDGE_ES_BULK_MAX_ACTIONS"):
        settings_from_env({"BRIDGE_ES_BULK_MAX_ACTIONS": "many"})


def test_missing_ca_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="BRIDGE_ES_CA_FILE"):
        settings_from_env({"BRIDGE_ES_CA_FILE": str(tmp_path / "nope.crt")})
