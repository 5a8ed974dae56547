"""The push baseline: a plain function that writes each pushed message with its own index call.

Same decoding, transform and document as the bridge, same index template, so the one
difference under test is batching: one Elasticsearch request per message here, one bulk
request for many concurrent messages in functions/main.py.

`framework_floor` does nothing at all: its rate is what functions-framework and the load
generator allow on this machine, the most any function can reach here.
"""
import os

import functions_framework
from elasticsearch import ConflictError, Elasticsearch

from bridge.config import transform_from_env
from bridge.decode import decode_message, message_from_http
from bridge.sinks.elasticsearch.document import IndexNames, document

_client = Elasticsearch(os.environ["BRIDGE_ES_URL"])
_names = IndexNames(prefix=os.environ["BRIDGE_ES_INDEX_PREFIX"])
_transform = transform_from_env("elasticsearch")


@functions_framework.http
def plain_to_elasticsearch(request):
    message = message_from_http(request.headers, request.get_data())
    record = _transform.prepare(decode_message(message)).record
    try:
        _client.create(index=_names.for_entry(record.timestamp_ns), id=record.entry_id, document=document(record))
    except ConflictError:
        pass  # a redelivery: already there
    return "", 204


@functions_framework.http
def framework_floor(request):
    request.get_data()
    return "", 204
