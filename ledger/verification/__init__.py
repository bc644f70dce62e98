"""Recomputing the hash chain and the balance totals from what the database holds, in ranges
of ids that worker processes check side by side (`chain.verify` is the entry point)."""
