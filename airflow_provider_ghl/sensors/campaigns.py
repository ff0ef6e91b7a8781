"""Sensors for HighLevel's Campaigns API."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor


class GHLListCampaignsSensor(GHLCollectionSensor):
    """Wait for new campaigns of the location (``watch="updated"``: e.g. a draft that got published).

    Campaigns carry no timestamps: a cursor of the delivered ids (and fingerprints for ``watch="updated"``)
    decides. ``query={"status": "published"}`` narrows the list. XCom: exactly those campaigns.
    """

    operation = "list_campaigns"
