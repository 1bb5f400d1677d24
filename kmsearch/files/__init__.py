"""Corpus files: read, validate and write case notes; parse management responses; ingest."""
