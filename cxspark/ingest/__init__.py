"""cxspark.ingest."""
