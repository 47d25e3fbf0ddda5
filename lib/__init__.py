"""Plumbing every app may use and that uses no app: the SSRF-safe fetcher, the
input-error type, timestamp formatting (docs/decisions.md, "Where things live")."""
