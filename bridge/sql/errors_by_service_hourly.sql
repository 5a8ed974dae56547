-- Entries of severity ERROR or worse per hour, by project, namespace and service, over the
-- deduplicated entries. `service` is the Cloud Run service, Cloud Function, App Engine module or
-- load balancer backend service, else the GKE pod's app label, else the container, else the log id.
-- Filter on `hour` to read only the partitions of that time.
SELECT
  TIMESTAMP_TRUNC(timestamp, HOUR) AS hour,
  project_id,
  resource_type,
  k8s_cluster AS cluster,
  k8s_namespace AS namespace,
  COALESCE(
    JSON_VALUE(resource_labels, '$.service_name'),
    JSON_VALUE(resource_labels, '$.function_name'),
    JSON_VALUE(resource_labels, '$.module_id'),
    JSON_VALUE(resource_labels, '$.backend_service_name'),
    JSON_VALUE(labels, '$."k8s-pod/app"'),
    k8s_container,
    log_id
  ) AS service,
  COUNTIF(severity_number >= 500) AS errors,
  COUNTIF(severity_number >= 600) AS critical_or_worse,
  COUNT(*) AS entries,
  MIN(IF(severity_number >= 500, timestamp, NULL)) AS first_error,
  MAX(IF(severity_number >= 500, timestamp, NULL)) AS last_error
FROM `${project}.${views_dataset}.logs_dedup`
GROUP BY hour, project_id, resource_type, cluster, namespace, service
HAVING errors > 0
