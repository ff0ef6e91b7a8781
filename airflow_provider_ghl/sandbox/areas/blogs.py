"""Sandbox handlers and seed data for HighLevel's blogs area."""

from __future__ import annotations
