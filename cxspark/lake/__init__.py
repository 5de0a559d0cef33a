"""cxspark.lake."""
