"""Sensor conditions importable by name, so they run in the triggerer (a DAG file's own functions are not)."""

from __future__ import annotations

GO_TAG = "cluster-go"


def tagged_go(contact: dict) -> bool:
    return GO_TAG in (contact.get("tags") or [])
