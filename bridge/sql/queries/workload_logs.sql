-- Saved query: the container logs of one GKE workload in a time window, oldest first.
-- Parameters (no at-sign here: the emulator counts them even in comments): namespace STRING,
-- workload STRING, since TIMESTAMP, until TIMESTAMP, min_severity INT64 (0 for everything,
-- 400 for WARNING and worse, 500 for ERROR and worse).
SELECT
  timestamp,
  severity,
  pod,
  container,
  message,
  json_payload,
  trace
FROM `${project}.${views_dataset}.gke_container_logs`
WHERE namespace = @namespace
  AND workload = @workload
  AND timestamp >= @since
  AND timestamp < @until
  AND severity_number >= @min_severity
ORDER BY timestamp, pod
