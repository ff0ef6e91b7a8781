"""Operators for HighLevel's Conversations API."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLUpdateMessageStatusOperator(GHLOperator):
    """Set a message's delivery status (for custom conversation providers): ``body={"status": "delivered"}``."""

    operation = "update_message_status"


class GHLSendAgentTypingIndicatorOperator(GHLOperator):
    """Show or hide the agent typing indicator in a live chat."""

    operation = "send_agent_typing_indicator"
