"""Sensors for HighLevel's Associations API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLFindAssociationsSensor(GHLCollectionSensor):
    """All associations of a location.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "find_associations"


class GHLGetAssociationSensor(GHLRecordSensor):
    """Association by ID.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_association"


class GHLGetAssociationKeySensor(GHLRecordSensor):
    """Association by key name.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_association_key"


class GHLGetAssociationByObjectKeySensor(GHLRecordSensor):
    """Association by object key.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_association_by_object_key"


class GHLGetRelationsByRecordSensor(GHLCollectionSensor):
    """Relations of a record.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_relations_by_record"
