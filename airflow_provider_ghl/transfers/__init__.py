"""Transfers: HighLevel records into files or object storage."""
