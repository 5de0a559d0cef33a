"""Paths and URIs: one way to join a lakehouse root (local path or ``s3a://``, ``hdfs://``, ...)."""

from __future__ import annotations

__all__ = ["join_uri"]


def join_uri(base: str, *parts: str) -> str:
    """Join path segments onto a local path or a URI without touching the scheme."""
    out = base.rstrip("/")
    for p in parts:
        out = f"{out}/{p.strip('/')}"
    return out
