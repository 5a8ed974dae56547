-- One row per log entry: redeliveries share entry_id; keep the first row written.
-- timestamp is part of the window partition (the same entry always has the same timestamp), so a
-- filter on timestamp is pushed below the window and prunes partitions instead of scanning them all.
-- Filled by Terraform's templatefile: ${project}, ${dataset}, ${table}.
SELECT *
FROM `${project}.${dataset}.${table}`
WHERE TRUE
QUALIFY ROW_NUMBER() OVER (PARTITION BY entry_id, timestamp ORDER BY ingest_time) = 1
