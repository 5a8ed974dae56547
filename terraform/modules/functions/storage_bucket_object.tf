# Named by content hash: a changed bridge or main.py gives a new object, and the functions redeploy.
resource "google_storage_bucket_object" "source" {
  bucket = google_storage_bucket.source.name
  name   = "functions-${data.archive_file.source.output_md5}.zip"
  source = data.archive_file.source.output_path
}
