"""A small local server speaking the real Cloud Logging API: google.logging.v2.LoggingServiceV2/ListLogEntries.

Real gRPC on a free loopback port, with the request and response types that ship in
google-cloud-logging, so the bridge's client code runs unchanged against it. It keeps
every request it receives (for checks on filter, order and page size), applies the
time bounds and `resource.type` clauses of the filter, pages with opaque tokens tied
to the filter, and can forget its tokens (as expired tokens are refused for real).
"""
from __future__ import annotations

import base64
import re
import threading
from concurrent import futures

import grpc
import orjson
from google.cloud.logging_v2.types import ListLogEntriesRequest, ListLogEntriesResponse, LogEntry

from bridge.timestamps import parse_rfc3339_ns

SERVICE = "google.logging.v2.LoggingServiceV2"
_BOUND = re.compile(r'timestamp\s*(>=|<)\s*"([^"]+)"')
_RESOURCE_TYPE = re.compile(r'resource\.type\s*=\s*"([^"]+)"')


def _timestamp_ns(entry) -> int:
    return entry.timestamp.seconds * 1_000_000_000 + entry.timestamp.nanos


class LoggingApiServer:
    def __init__(self, entries) -> None:
        """`entries`: LogEntry protobufs (google.logging.v2.LogEntry), any order."""
        self.entries = sorted(entries, key=_timestamp_ns)
        self.requests: list[ListLogEntriesRequest] = []
        self.token_generation = 0  # bump to make every token handed out so far invalid
        self.fail_next: list[grpc.StatusCode] = []  # status codes to answer the next calls with
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        handler = grpc.unary_unary_rpc_method_handler(
            self._list_log_entries,
            request_deserializer=ListLogEntriesRequest.deserialize,
            response_serializer=ListLogEntriesResponse.serialize,
        )
        self._server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, {"ListLogEntries": handler})])
        self.port = self._server.add_insecure_port("127.0.0.1:0")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> "LoggingApiServer":
        self._server.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.stop(grace=None).wait()

    def _matching(self, query: str):
        lower, upper = 0, 2**63
        for op, value in _BOUND.findall(query):
            if op == ">=":
                lower = max(lower, parse_rfc3339_ns(value))
            else:
                upper = min(upper, parse_rfc3339_ns(value))
        types = set(_RESOURCE_TYPE.findall(query))
        return [
            e for e in self.entries if lower <= _timestamp_ns(e) < upper and (not types or e.resource.type in types)
        ]

    def _list_log_entries(self, request: ListLogEntriesRequest, context: grpc.ServicerContext) -> ListLogEntriesResponse:
        with self._lock:
            self.requests.append(request)
            if self.fail_next:
                context.abort(self.fail_next.pop(0), "injected failure")
            if not request.resource_names:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "resource_names is required")
            if request.order_by not in ("", "timestamp asc", "timestamp desc"):
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bad order_by {request.order_by!r}")
            offset = 0
            if request.page_token:
                try:
                    token = orjson.loads(base64.urlsafe_b64decode(request.page_token))
                except ValueError:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page token unreadable")
                if token["generation"] != self.token_generation or token["filter"] != request.filter:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, "page token expired or for another filter")
                offset = token["offset"]
            matching = self._matching(request.filter)
            if request.order_by == "timestamp desc":
                matching.reverse()
            size = request.page_size or 50
            page = matching[offset : offset + size]
            next_token = ""
            if offset + size < len(matching):
                state = {"generation": self.token_generation, "filter": request.filter, "offset": offset + size}
                next_token = base64.urlsafe_b64encode(orjson.dumps(state)).decode()
            return ListLogEntriesResponse(entries=[LogEntry.wrap(e) for e in page], next_page_token=next_token)
