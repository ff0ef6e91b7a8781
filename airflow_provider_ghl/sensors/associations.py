"""Sensors for HighLevel's Associations API.

Associations and relations are listed without timestamps: the collection sensors keep a cursor of the ids
they delivered (with a fingerprint of each, for ``watch="updated"``).
"""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLFindAssociationsSensor(GHLCollectionSensor):
    """Wait for new association types in the location (``watch="updated"``: or relabelled ones).

    XCom: exactly the associations not delivered before (or changed since).
    """

    operation = "find_associations"


class GHLGetAssociationSensor(GHLRecordSensor):
    """Wait until an association exists (by id) and ``condition(association)`` holds (if given).

    XCom: the association (``key``, object keys and labels).
    """

    operation = "get_association"


class GHLGetAssociationKeySensor(GHLRecordSensor):
    """Wait until an association with the key ``association_key`` exists (and ``condition`` holds).

    XCom: the association.
    """

    operation = "get_association_key"


class GHLGetAssociationByObjectKeySensor(GHLRecordSensor):
    """Wait until an association involving the object ``object_key`` exists (e.g. ``custom_objects.cars``).

    Fires with the first such association (and ``condition(association)``, if given). XCom: the association.
    """

    operation = "get_association_by_object_key"


class GHLGetRelationsByRecordSensor(GHLCollectionSensor):
    """Wait for new relations of a record (``record_id=...``): records newly linked to it.

    Fires when a relation is not in the cursor yet. XCom: exactly those relations (both record ids and the
    association's key and labels).
    """

    operation = "get_relations_by_record"
