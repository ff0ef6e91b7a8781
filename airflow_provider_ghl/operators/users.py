"""Operators for HighLevel's Users API (the people who log in to an agency or its sub-accounts)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLCreateUserOperator(GHLOperator):
    """Create a user with a role and access to locations; XCom: the user (``id``, ``roles``, ...).

    The company comes from the connection. Example::

        GHLCreateUserOperator(
            task_id="invite_rep",
            body={"firstName": "Sam", "lastName": "Lee", "email": "sam@example.com", "password": "...",
                  "type": "account", "role": "user", "locationIds": ["{{ conn.ghl_default.extra_dejson.location_id }}"]},
        )

    HighLevel refuses a second user with the same email in the company (HTTP 400).
    """

    operation = "create_user"


class GHLUpdateUserOperator(GHLOperator):
    """Change a user's name, phone, role, locations or permissions: ``body={"lastName": "Lee-Park"}``.

    The email cannot change (HighLevel keeps the address even when the body sends one). XCom: the user.
    """

    operation = "update_user"


class GHLDeleteUserOperator(GHLOperator):
    """Delete a user: ``GHLDeleteUserOperator(task_id=..., user_id="...")``.

    HighLevel queues the deletion (it takes effect within minutes). XCom: ``{"deleted": true, ...}``
    with HighLevel's message under ``response``.
    """

    operation = "delete_user"
