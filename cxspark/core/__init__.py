"""cxspark.core."""
