"""Kibana saved objects for the bridge's indices: data views, saved searches, Lens panels, a dashboard.

The shipped NDJSON (`gcp-log-bridge.ndjson`, for import through Kibana's UI) is this
module's output: `python -m bridge.kibana.saved_objects > bridge/kibana/gcp-log-bridge.ndjson`.
A unit test keeps the two equal and checks every field referenced against the index templates.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from ..sinks.elasticsearch.document import IndexNames

NDJSON_PATH = Path(__file__).with_name("gcp-log-bridge.ndjson")
LOGS_VIEW = "gcp-log-bridge-logs"
DEAD_LETTER_VIEW = "gcp-log-bridge-deadletters"
ERRORS_KQL = 'log.level : ("ERROR" or "CRITICAL" or "ALERT" or "EMERGENCY")'
# Kibana migrates objects forward from the versions they declare.
_CORE_VERSION = "8.8.0"
_TYPE_VERSION = {"index-pattern": "8.0.0", "search": "8.0.0", "lens": "8.9.0", "dashboard": "8.9.0"}


def _saved(kind: str, object_id: str, attributes: dict[str, Any], references: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": kind,
        "id": object_id,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": _CORE_VERSION,
        "typeMigrationVersion": _TYPE_VERSION[kind],
        "managed": False,
    }


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def data_view(object_id: str, pattern: str, name: str) -> dict[str, Any]:
    return _saved("index-pattern", object_id, {"title": pattern, "name": name, "timeFieldName": "@timestamp"}, [])


def saved_search(object_id: str, title: str, kql: str, columns: list[str], sort: list[list[str]], breakdown: str | None = None) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "title": title,
        "description": "",
        "columns": columns,
        "sort": sort,
        "grid": {},
        "hideChart": False,
        "isTextBasedQuery": False,
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": _json({
                "query": {"query": kql, "language": "kuery"},
                "filter": [],
                "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
            })
        },
    }
    if breakdown:
        attributes["breakdownField"] = breakdown
    return _saved("search", object_id, attributes, [
        {"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": LOGS_VIEW}
    ])


def _count_column() -> dict[str, Any]:
    return {"label": "Count of records", "dataType": "number", "operationType": "count", "sourceField": "___records___",
            "isBucketed": False, "scale": "ratio", "params": {"emptyAsNull": True}}


def _terms_column(field: str, size: int, order_by: str) -> dict[str, Any]:
    return {"label": f"Top {size} values of {field}", "dataType": "string", "operationType": "terms", "sourceField": field,
            "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by}, "orderDirection": "desc",
                       "otherBucket": True, "missingBucket": False, "parentFormat": {"id": "terms"}}}


def _time_column() -> dict[str, Any]:
    return {"label": "@timestamp", "dataType": "date", "operationType": "date_histogram", "sourceField": "@timestamp",
            "isBucketed": True, "scale": "interval", "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False}}


def lens(object_id: str, title: str, view: str, kind: str, columns: dict[str, dict[str, Any]], visualization: dict[str, Any], kql: str = "") -> dict[str, Any]:
    layer = "layer1"
    state = {
        "datasourceStates": {"formBased": {"layers": {layer: {"columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}}}},
        "visualization": {**visualization, "layerId": layer} if kind == "lnsMetric" else visualization,
        "query": {"query": kql, "language": "kuery"},
        "filters": [],
        "internalReferences": [],
        "adHocDataViews": {},
    }
    return _saved("lens", object_id, {"title": title, "description": "", "visualizationType": kind, "state": state},
                  [{"type": "index-pattern", "id": view, "name": f"indexpattern-datasource-layer-{layer}"}])


def _xy(series: str, x: str, split: str | None = None) -> dict[str, Any]:
    layer: dict[str, Any] = {"layerId": "layer1", "layerType": "data", "seriesType": series, "xAccessor": x, "accessors": ["count"]}
    if split:
        layer["splitAccessor"] = split
    return {"legend": {"isVisible": True, "position": "right"}, "valueLabels": "hide", "preferredSeriesType": series, "layers": [layer]}


def _top_by_errors(object_id: str, title: str, field: str) -> dict[str, Any]:
    return lens(object_id, title, LOGS_VIEW, "lnsXY",
                {"top": _terms_column(field, 10, "count"), "count": _count_column()}, _xy("bar_horizontal", "top"), ERRORS_KQL)


def dashboard(object_id: str, title: str, panels: list[tuple[dict[str, Any], dict[str, int]]]) -> dict[str, Any]:
    panels_json, references = [], []
    for number, (target, grid) in enumerate(panels, start=1):
        index = f"p{number}"
        panels_json.append({"type": target["type"], "panelIndex": index, "gridData": {**grid, "i": index},
                            "embeddableConfig": {}, "panelRefName": f"panel_{index}"})
        references.append({"name": f"{index}:panel_{index}", "type": target["type"], "id": target["id"]})
    attributes = {
        "title": title,
        "description": "Entries written by GCP Log Bridge: volume by severity, where the errors are, dead letters.",
        "panelsJSON": _json(panels_json),
        "optionsJSON": _json({"useMargins": True, "syncColors": False, "syncCursor": True, "syncTooltips": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": "now-24h",
        "timeTo": "now",
        "refreshInterval": {"pause": False, "value": 60000},
        "kibanaSavedObjectMeta": {"searchSourceJSON": _json({"query": {"query": "", "language": "kuery"}, "filter": []})},
    }
    return _saved("dashboard", object_id, attributes, references)


def saved_objects(names: IndexNames = IndexNames()) -> list[dict[str, Any]]:
    """Referenced objects come before the objects that reference them."""
    gke_errors = saved_search(
        "gcp-log-bridge-gke-errors", "GKE container errors by namespace",
        f'gcp.resource.type : "k8s_container" and {ERRORS_KQL}',
        ["kubernetes.namespace", "kubernetes.pod.name", "kubernetes.container.name", "log.level", "message"],
        [["kubernetes.namespace", "asc"], ["@timestamp", "desc"]],
        breakdown="kubernetes.namespace",
    )
    audit = saved_search(
        "gcp-log-bridge-audit", "Audit logs",
        'event.dataset : "gcp.cloudaudit"',
        ["cloud.project.id", "gcp.log_id", "gcp.proto_payload.methodName", "gcp.proto_payload.authenticationInfo.principalEmail",
         "gcp.proto_payload.resourceName", "log.level"],
        [["@timestamp", "desc"]],
    )
    volume = lens("gcp-log-bridge-volume-by-severity", "Log volume by severity", LOGS_VIEW, "lnsXY",
                  {"time": _time_column(), "level": _terms_column("log.level", 9, "count"), "count": _count_column()},
                  _xy("bar_stacked", "time", "level"))
    namespaces = _top_by_errors("gcp-log-bridge-top-namespaces-errors", "Top namespaces by errors", "kubernetes.namespace")
    pods = _top_by_errors("gcp-log-bridge-top-pods-errors", "Top pods by errors", "kubernetes.pod.name")
    dead = lens("gcp-log-bridge-dead-letter-count", "Dead letters", DEAD_LETTER_VIEW, "lnsMetric",
                {"count": _count_column()}, {"layerType": "data", "metricAccessor": "count"})
    overview = dashboard("gcp-log-bridge-overview", "GCP Log Bridge overview", [
        (volume, {"x": 0, "y": 0, "w": 36, "h": 15}),
        (dead, {"x": 36, "y": 0, "w": 12, "h": 15}),
        (namespaces, {"x": 0, "y": 15, "w": 24, "h": 15}),
        (pods, {"x": 24, "y": 15, "w": 24, "h": 15}),
        (gke_errors, {"x": 0, "y": 30, "w": 48, "h": 20}),
    ])
    return [
        data_view(LOGS_VIEW, names.pattern, "GCP logs"),
        data_view(DEAD_LETTER_VIEW, names.dead_letter_pattern, "GCP Log Bridge dead letters"),
        gke_errors, audit, volume, namespaces, pods, dead, overview,
    ]


def to_ndjson(objects: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(item, option=orjson.OPT_SORT_KEYS) + b"\n" for item in objects)


if __name__ == "__main__":
    sys.stdout.buffer.write(to_ndjson(saved_objects()))
