"""Sandbox handlers and seed data for HighLevel's conversations area."""

from __future__ import annotations
