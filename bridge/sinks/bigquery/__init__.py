"""BigQuery destination: rows of the shared schema, written with the stable id as insertId."""
