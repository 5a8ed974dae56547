"""Coverage-guided fuzzing (atheris/libFuzzer) of the push endpoint's decode -> normalize -> build path.

Any exception other than a BridgeError is a crash; libFuzzer's -timeout and
-rss_limit_mb turn hangs and runaway memory into failures too.
Run: python tests/fuzz/fuzz_pipeline.py -runs=20000 -max_len=4096 -timeout=5 -rss_limit_mb=2048
"""
import sys

import atheris

with atheris.instrument_imports():
    import orjson

    from bridge.decode import decode_message, message_from_http
    from bridge.errors import BridgeError
    from bridge.normalize import normalize
    from bridge.sinks.bigquery.row import row
    from bridge.sinks.elasticsearch.document import document

CE_HEADERS = {"ce-type": "google.cloud.pubsub.topic.v1.messagePublished"}


def one_input(data: bytes) -> None:
    headers = CE_HEADERS if data[:1] == b"c" else {}
    try:
        record = normalize(decode_message(message_from_http(headers, data)))
        orjson.dumps(document(record))
        orjson.dumps(row(record))
    except BridgeError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
