"""Redaction internals: detectors, rule files, field-path scoping, HMAC keys. The API is bridge.redact."""
