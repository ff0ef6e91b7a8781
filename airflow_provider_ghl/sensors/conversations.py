"""Sensors for HighLevel's Conversations API: conversations, messages, recordings and transcriptions."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchConversationsSensor(GHLCollectionSensor):
    """Search conversations.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "search_conversations"


class GHLGetConversationSensor(GHLRecordSensor):
    """One conversation.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_conversation"


class GHLGetEmailSensor(GHLRecordSensor):
    """One email message.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_email"


class GHLGetMessageSensor(GHLRecordSensor):
    """One message.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_message"


class GHLGetMessagesByConversationSensor(GHLCollectionSensor):
    """Messages of a conversation.

    Fires when records are new (or, with ``watch="updated"``, changed) since the watermark.
    XCom: exactly those records, oldest first."""

    operation = "get_messages_by_conversation"


class GHLGetMessageRecordingSensor(GHLRecordSensor):
    """Call recording audio.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_message_recording"


class GHLGetMessageTranscriptionSensor(GHLRecordSensor):
    """Call transcription.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "get_message_transcription"


class GHLDownloadMessageTranscriptionSensor(GHLRecordSensor):
    """Transcription file.

    Fires when the record exists and ``condition(record)`` (if given) holds.
    XCom: the record."""

    operation = "download_message_transcription"
