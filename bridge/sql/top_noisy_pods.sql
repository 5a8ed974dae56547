-- Entries and payload bytes per pod and day, ranked within the day (1 = noisiest).
-- SELECT * FROM top_noisy_pods WHERE day = CURRENT_DATE() AND rank_in_day <= 10
SELECT
  DATE(timestamp) AS day,
  k8s_cluster AS cluster,
  k8s_namespace AS namespace,
  k8s_pod AS pod,
  COUNT(*) AS entries,
  COUNTIF(severity_number >= 500) AS errors,
  SUM(BYTE_LENGTH(COALESCE(text_payload, TO_JSON_STRING(json_payload), ''))) AS payload_bytes,
  RANK() OVER (PARTITION BY DATE(timestamp) ORDER BY COUNT(*) DESC) AS rank_in_day
FROM `${project}.${views_dataset}.logs_dedup`
WHERE k8s_pod IS NOT NULL
GROUP BY day, cluster, namespace, pod
