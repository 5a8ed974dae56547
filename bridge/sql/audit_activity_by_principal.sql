-- Cloud Audit Logs (admin activity, data access, system event, policy) per day, principal,
-- service and method: how many calls, how many failed (a non-zero status code), first and last.
SELECT
  DATE(timestamp) AS day,
  JSON_VALUE(proto_payload, '$.authenticationInfo.principalEmail') AS principal,
  REGEXP_EXTRACT(log_id, r'^cloudaudit\.googleapis\.com/(.+)$') AS audit_log,
  JSON_VALUE(proto_payload, '$.serviceName') AS service_name,
  JSON_VALUE(proto_payload, '$.methodName') AS method_name,
  project_id,
  COUNT(*) AS calls,
  COUNTIF(COALESCE(SAFE_CAST(JSON_VALUE(proto_payload, '$.status.code') AS INT64), 0) != 0) AS failed,
  MIN(timestamp) AS first_call,
  MAX(timestamp) AS last_call
FROM `${project}.${views_dataset}.logs_dedup`
WHERE STARTS_WITH(log_id, 'cloudaudit.googleapis.com/')
GROUP BY day, principal, audit_log, service_name, method_name, project_id
