-- GKE container logs, one row per entry, with the workload each pod belongs to: the pod's
-- `app` label when present, else the pod name without the ReplicaSet hash and pod suffix
-- (checkout-7d9f8b6c5-x2k9p -> checkout) or the StatefulSet ordinal (db-0 -> db).
-- `message` follows the bridge: textPayload, else jsonPayload.message, .msg or .log.
-- The saved query queries/workload_logs.sql reads one workload from here.
SELECT
  timestamp,
  severity,
  severity_number,
  project_id,
  k8s_cluster AS cluster,
  k8s_location AS location,
  k8s_namespace AS namespace,
  COALESCE(
    JSON_VALUE(labels, '$."k8s-pod/app"'),
    REGEXP_REPLACE(k8s_pod, r'(-[a-z0-9]{6,10})?-[a-z0-9]{5}$|-[0-9]+$', '')
  ) AS workload,
  k8s_pod AS pod,
  k8s_container AS container,
  log_id AS stream,
  COALESCE(
    text_payload,
    JSON_VALUE(json_payload, '$.message'),
    JSON_VALUE(json_payload, '$.msg'),
    JSON_VALUE(json_payload, '$.log')
  ) AS message,
  json_payload,
  labels,
  trace,
  span_id,
  entry_id
FROM `${project}.${views_dataset}.logs_dedup`
WHERE resource_type IN ('k8s_container', 'container')
