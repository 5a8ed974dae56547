"""Monitored resources -> Kubernetes and cloud location fields, by lookup table."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping, NamedTuple


class K8sFields(NamedTuple):
    cluster: str | None
    location: str | None
    namespace: str | None
    pod: str | None
    container: str | None
    node: str | None


# resource.type -> the label keys holding (cluster, location, namespace, pod, container, node).
_K8S_LABEL_KEYS: dict[str, tuple[str | None, ...]] = {
    "k8s_container": ("cluster_name", "location", "namespace_name", "pod_name", "container_name", None),
    "k8s_pod": ("cluster_name", "location", "namespace_name", "pod_name", None, None),
    "k8s_node": ("cluster_name", "location", None, None, None, "node_name"),
    "k8s_cluster": ("cluster_name", "location", None, None, None, None),
    # The pre-2020 GKE logging agent's resource.
    "container": ("cluster_name", "zone", "namespace_id", "pod_id", "container_name", None),
}
_NO_K8S = K8sFields(None, None, None, None, None, None)
# Label keys that carry where a resource lives, in order of preference.
_LOCATION_KEYS = ("location", "zone", "region")


def _text(labels: Mapping[str, Any], key: str | None) -> str | None:
    if key is None:
        return None
    value = labels.get(key)
    return value if isinstance(value, str) and value else None


def k8s_fields(resource_type: str | None, labels: Mapping[str, Any]) -> K8sFields:
    keys = _K8S_LABEL_KEYS.get(resource_type or "")
    if keys is None:
        return _NO_K8S
    cluster, location, namespace, pod, container, node = keys
    return K8sFields(
        _text(labels, cluster), _text(labels, location), _text(labels, namespace),
        _text(labels, pod), _text(labels, container), _text(labels, node),
    )


def location_of(labels: Mapping[str, Any]) -> str | None:
    for key in _LOCATION_KEYS:
        value = _text(labels, key)
        if value and value != "global":  # global load balancers: no region to report
            return value
    return None


@lru_cache(maxsize=256)
def is_zone(location: str) -> bool:
    """'us-central1-c' is a zone, 'us-central1' a region ('global' neither)."""
    return len(location) > 2 and location[-2] == "-" and location[-1].isalpha() and location[-3].isdigit()
