"""Sandbox handlers and seed data for HighLevel's associations area."""

from __future__ import annotations
