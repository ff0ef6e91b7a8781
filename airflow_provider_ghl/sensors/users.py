"""Sensors for HighLevel's Users API.

Users carry no creation or change timestamp in these answers: the collection sensors keep a cursor of
the user ids they delivered (with a fingerprint of each, for ``watch="updated"``).
"""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchUsersSensor(GHLCollectionSensor):
    """Wait for users of the agency (company from the connection) that were not delivered before.

    Filters go in ``query`` (``query`` text, ``locationId``, ``type``, ``role``, ``ids``). Fires when a
    matching user is not in the cursor yet (``watch="updated"``: or its fields changed since its last
    delivery). XCom: exactly those users.
    """

    operation = "search_users"


class GHLFilterUsersByEmailSensor(GHLCollectionSensor):
    """Wait until users with the given emails exist: ``body={"emails": "a@x.com,b@x.com"}``.

    The company comes from the connection. Fires when a user with one of those emails appears that was not
    delivered before (``watch="updated"``: or changed). XCom: exactly those users. With
    ``min_records=<number of emails>`` it waits until every address has a user.
    """

    operation = "filter_users_by_email"


class GHLGetUserSensor(GHLRecordSensor):
    """Wait until a user exists and ``condition(user)`` holds (if given).

    Example: ``condition=lambda u: u["roles"]["role"] == "admin"``. A 404 (deleted or unknown) means
    "not yet". XCom: the user.
    """

    operation = "get_user"


class GHLListUsersByLocationSensor(GHLCollectionSensor):
    """Wait for users who gained access to the location since the last delivery.

    Fires when a user of the location is not in the cursor (``watch="updated"``: or changed).
    XCom: exactly those users.
    """

    operation = "list_users_by_location"
