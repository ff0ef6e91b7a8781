"""Sandbox handlers and seed data for HighLevel's campaigns area."""

from __future__ import annotations
