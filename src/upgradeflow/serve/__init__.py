"""The query service: live search over the pointers, merged during a backfill."""
