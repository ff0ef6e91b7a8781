"""Sensors for HighLevel's Locations API: sub-accounts and their custom fields.

Neither carries a timestamp in these answers: the sensors keep a cursor of the ids they delivered (with a
fingerprint of each, for ``watch="updated"``).
"""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListLocationsSensor(GHLCollectionSensor):
    """Wait for new sub-accounts of the agency (company from the connection; agency token).

    Fires when a location is not in the cursor yet (``watch="updated"``: or its details changed).
    XCom: exactly those locations.
    """

    operation = "list_locations"


class GHLListCustomFieldsSensor(GHLCollectionSensor):
    """Wait for new custom fields of a location (``query={"model": "opportunity"}`` narrows the model).

    Fires when a field is not in the cursor yet (``watch="updated"``: or its definition changed, e.g. a
    picklist option added). XCom: exactly those fields.
    """

    operation = "list_custom_fields"
