"""Operators for HighLevel's Associations API: association types, and relations between two records."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateAssociationOperator(GHLOperator):
    """Define which two object types may be linked, and their labels.

    Example::

        GHLCreateAssociationOperator(
            task_id="define_car_owner",
            body={"key": "car_owner", "firstObjectKey": "custom_objects.cars", "firstObjectLabel": "Car",
                  "secondObjectKey": "contact", "secondObjectLabel": "Owner"},
        )

    Keys are unique per location (HTTP 400 on a repeat). XCom: the association (``id``, ``key``, ...).
    """

    operation = "create_association"


class GHLUpdateAssociationOperator(GHLOperator):
    """Rename a user-defined association's labels (system associations cannot change).

    ``association_id="..."``, ``body={"firstObjectLabel": "Vehicle", "secondObjectLabel": "Driver"}``.
    XCom: the association.
    """

    operation = "update_association"


class GHLDeleteAssociationOperator(GHLOperator):
    """Delete a user-defined association and every relation made through it: ``association_id="..."``."""

    operation = "delete_association"


class GHLCreateRelationOperator(GHLOperator):
    """Link two records through an association.

    ``body={"associationId": "...", "firstRecordId": "<car id>", "secondRecordId": "<contact id>"}``
    (first/second follow the association's object order). A repeated pair is refused (HTTP 400).
    XCom: the relation (``id``, ``associationId``, both record ids).
    """

    operation = "create_relation"


class GHLDeleteRelationOperator(GHLOperator):
    """Unlink two records: ``relation_id="..."`` (the location comes from the connection)."""

    operation = "delete_relation"
