-- One row per HTTP(S) load balancer request: status, latency in milliseconds and sizes,
-- from the entry's httpRequest (latency is a Duration string such as "0.125s").
SELECT
  timestamp,
  project_id,
  JSON_VALUE(resource_labels, '$.forwarding_rule_name') AS forwarding_rule,
  JSON_VALUE(resource_labels, '$.url_map_name') AS url_map,
  JSON_VALUE(resource_labels, '$.backend_service_name') AS backend_service,
  JSON_VALUE(http_request, '$.requestMethod') AS method,
  JSON_VALUE(http_request, '$.requestUrl') AS url,
  SAFE_CAST(JSON_VALUE(http_request, '$.status') AS INT64) AS status,
  SAFE_CAST(RTRIM(JSON_VALUE(http_request, '$.latency'), 's') AS FLOAT64) * 1000 AS latency_ms,
  SAFE_CAST(JSON_VALUE(http_request, '$.requestSize') AS INT64) AS request_bytes,
  SAFE_CAST(JSON_VALUE(http_request, '$.responseSize') AS INT64) AS response_bytes,
  JSON_VALUE(http_request, '$.remoteIp') AS remote_ip,
  JSON_VALUE(http_request, '$.userAgent') AS user_agent,
  JSON_VALUE(json_payload, '$.statusDetails') AS status_details,
  entry_id
FROM `${project}.${views_dataset}.logs_dedup`
WHERE resource_type IN ('http_load_balancer', 'l7_lb_rule')
