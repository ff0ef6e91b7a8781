"""Operators for HighLevel's Conversations API (for custom conversation providers and live chat)."""

from __future__ import annotations

from airflow_provider_ghl.operators.base import GHLOperator


class GHLUpdateMessageStatusOperator(GHLOperator):
    """Report a message's delivery status, as a custom conversation provider does.

    ``body={"status": "delivered"}`` (``delivered``, ``failed``, ``pending`` or ``read``; with
    ``"error": {...}`` for failures). For an email message the linked email record changes too
    (``emailMessageId`` picks one). XCom: ``{"conversationId", "messageId", "status"}``.
    """

    operation = "update_message_status"


class GHLSendAgentTypingIndicatorOperator(GHLOperator):
    """Show (or hide) "agent is typing" to a live-chat visitor.

    ``body={"isTyping": "true", "visitorId": "...", "conversationId": "..."}`` (``isTyping`` is the
    string ``"true"`` or ``"false"``, as HighLevel's schema says); the location comes from the connection.
    XCom: ``{"success": true}``.
    """

    operation = "send_agent_typing_indicator"
