"""Operators for HighLevel's Associations API (links between contacts, opportunities and custom objects)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateAssociationOperator(GHLOperator):
    """Define an association between two object types (keys and labels)."""

    operation = "create_association"


class GHLUpdateAssociationOperator(GHLOperator):
    """Rename an association's labels."""

    operation = "update_association"


class GHLDeleteAssociationOperator(GHLOperator):
    """Delete an association definition."""

    operation = "delete_association"


class GHLCreateRelationOperator(GHLOperator):
    """Link two records through an association: ``body={"associationId", "firstRecordId", "secondRecordId"}``."""

    operation = "create_relation"


class GHLDeleteRelationOperator(GHLOperator):
    """Unlink two records (delete a relation)."""

    operation = "delete_relation"
