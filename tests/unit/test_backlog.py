"""The worker's backlog reading: Cloud Monitoring's ListTimeSeries over real gRPC, on a local server."""
from concurrent import futures

import grpc
from google.cloud.monitoring_v3 import ListTimeSeriesRequest, ListTimeSeriesResponse, MetricServiceClient, TimeSeries
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

from bridge.backlog import METRIC, MonitoringBacklog, backlog_reader

SUBSCRIPTION = "projects/demo-project/subscriptions/logs-to-es"


class MetricService:
    """google.monitoring.v3.MetricService/ListTimeSeries answering with the given points, newest first."""

    def __init__(self, values, fail=False):
        self.values, self.fail, self.requests = values, fail, []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        handler = grpc.unary_unary_rpc_method_handler(
            self.list_time_series, request_deserializer=ListTimeSeriesRequest.deserialize, response_serializer=ListTimeSeriesResponse.serialize
        )
        self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("google.monitoring.v3.MetricService", {"ListTimeSeries": handler})])
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    def list_time_series(self, request, context):
        self.requests.append(request)
        if self.fail:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "monitoring.timeSeries.list denied")
        points = [{"value": {"int64_value": v}, "interval": {"end_time": {"seconds": 1000 - n}}} for n, v in enumerate(self.values)]
        return ListTimeSeriesResponse(time_series=[TimeSeries(points=points)] if points else [])

    def client(self):
        return MetricServiceClient(transport=MetricServiceGrpcTransport(channel=grpc.insecure_channel(f"127.0.0.1:{self.port}")))

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *_):
        self.server.stop(None)


def test_reads_the_newest_point_of_the_subscription_metric_and_asks_once_a_minute():
    now = [10_000.0]
    with MetricService([1234, 999]) as service:
        reader = MonitoringBacklog(SUBSCRIPTION, service.client(), clock=lambda: now[0])
        assert reader() == 1234
        now[0] += 30
        assert reader() == 1234 and len(service.requests) == 1  # cached within the minute
        now[0] += 31
        assert reader() == 1234 and len(service.requests) == 2
    request = service.requests[0]
    assert request.name == "projects/demo-project"
    assert request.filter == f'metric.type = "{METRIC}" AND resource.labels.subscription_id = "logs-to-es"'
    assert request.interval.end_time.timestamp() == 10_000 and request.interval.start_time.timestamp() == 9_700


def test_no_data_yet_and_a_refused_call_both_fall_back_to_what_the_worker_holds():
    with MetricService([]) as empty:
        assert MonitoringBacklog(SUBSCRIPTION, empty.client())() is None
    with MetricService([5], fail=True) as denied:
        reader = MonitoringBacklog(SUBSCRIPTION, denied.client())
        assert reader() is None
        assert reader() is None and len(denied.requests) == 1  # not asked again after a refusal


def test_the_emulator_has_no_monitoring():
    assert backlog_reader(SUBSCRIPTION, {"PUBSUB_EMULATOR_HOST": "127.0.0.1:8085"}) is None
