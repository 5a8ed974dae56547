"""Cloud Functions (gen2) entry points: thin wrappers over bridge.function.

Each accepts a Pub/Sub push body or an Eventarc CloudEvent (binary or structured) and
answers 2xx only once the entry is written or dead-lettered.
"""
import functions_framework

from bridge.function import endpoint_for


def _serve(destination, request):
    response = endpoint_for(destination).handle(request.headers, request.get_data())
    return response.body, response.status, {"Content-Type": "application/json"}


@functions_framework.http
def to_elasticsearch(request):
    return _serve("elasticsearch", request)


@functions_framework.http
def to_bigquery(request):
    return _serve("bigquery", request)
