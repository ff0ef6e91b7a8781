"""Sandbox handlers and seed data for HighLevel's snapshots area."""

from __future__ import annotations
