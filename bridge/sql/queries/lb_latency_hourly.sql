-- Saved query: load balancer requests per hour and URL map in a time window, with counts by
-- status class and latency percentiles (APPROX_QUANTILES: approximate, as BigQuery computes them).
-- Parameters: since TIMESTAMP, until TIMESTAMP.
SELECT
  TIMESTAMP_TRUNC(timestamp, HOUR) AS hour,
  url_map,
  backend_service,
  COUNT(*) AS requests,
  COUNTIF(status BETWEEN 200 AND 399) AS ok,
  COUNTIF(status BETWEEN 400 AND 499) AS client_errors,
  COUNTIF(status >= 500) AS server_errors,
  APPROX_QUANTILES(latency_ms, 100 IGNORE NULLS)[SAFE_OFFSET(50)] AS p50_ms,
  APPROX_QUANTILES(latency_ms, 100 IGNORE NULLS)[SAFE_OFFSET(95)] AS p95_ms,
  APPROX_QUANTILES(latency_ms, 100 IGNORE NULLS)[SAFE_OFFSET(99)] AS p99_ms,
  MAX(latency_ms) AS max_ms
FROM `${project}.${views_dataset}.lb_requests`
WHERE timestamp >= @since AND timestamp < @until
GROUP BY hour, url_map, backend_service
ORDER BY hour, url_map, backend_service
