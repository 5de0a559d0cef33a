"""PII redaction of free text with Presidio: the engine, the Spark job and the report."""
