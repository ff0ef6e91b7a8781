"""Sensors for HighLevel's Conversations API: conversations, messages, recordings and transcriptions."""

from __future__ import annotations

from airflow_provider_ghl.sensors.base import GHLCollectionSensor, GHLRecordSensor


class GHLSearchConversationsSensor(GHLCollectionSensor):
    """Wait for new conversations (or, with ``watch="updated"``, conversations with new activity).

    Filters go in ``query`` (``status``, ``assignedTo``, ``contactId``, ``lastMessageType``, ...). Fires when
    at least ``min_records`` conversations were started (``dateAdded``; ``dateUpdated`` with
    ``watch="updated"``) inside the run's data interval or, in cursor mode, since the last delivery, ties
    included. XCom: exactly those conversations, oldest first.
    """

    operation = "search_conversations"


class GHLGetConversationSensor(GHLRecordSensor):
    """Wait until a conversation exists and ``condition(conversation)`` holds (if given).

    Example: ``condition=lambda c: c["unreadCount"] == 0`` (someone read it). XCom: the conversation.
    """

    operation = "get_conversation"


class GHLGetEmailSensor(GHLRecordSensor):
    """Wait until an email message exists and ``condition(email)`` holds (if given).

    ``email_message_id`` is the email's own id (``meta.email.messageIds`` of a conversation message).
    Example: ``condition=lambda e: e["status"] == "opened"``. XCom: the email (subject, body, status, ...).
    """

    operation = "get_email"


class GHLGetMessageSensor(GHLRecordSensor):
    """Wait until a message exists and ``condition(message)`` holds (if given).

    Example: ``condition=lambda m: m["status"] in ("delivered", "read")``. XCom: the message.
    """

    operation = "get_message"


class GHLGetMessagesByConversationSensor(GHLCollectionSensor):
    """Wait for new messages in a conversation (``conversation_id=...``).

    Fires when at least ``min_records`` messages were added (``dateAdded``) inside the run's data interval
    or, in cursor mode, since the last delivery; messages sharing a timestamp are each delivered once.
    XCom: exactly those messages, oldest first.
    """

    operation = "get_messages_by_conversation"


class GHLGetMessageRecordingSensor(GHLRecordSensor):
    """Wait until a call message has its recording (answered calls and voicemails have one; a 404 is "not yet").

    XCom: ``{"content_bytes": <size>}`` (the audio itself does not go to XCom; download it with
    ``GHLHook.call("get_message_recording", ...)``).
    """

    operation = "get_message_recording"


class GHLGetMessageTranscriptionSensor(GHLRecordSensor):
    """Wait until a call's transcription is available (a 404 is "not yet") and ``condition`` holds.

    Example: ``condition=lambda t: "cancel" in t["transcript"].lower()``.
    XCom: the transcription (``transcript``, ``confidence``, ``startTime``, ``endTime``, ...).
    """

    operation = "get_message_transcription"


class GHLDownloadMessageTranscriptionSensor(GHLRecordSensor):
    """Wait until a call's transcription file can be downloaded (a 404 is "not yet").

    XCom: the transcription as text, one timed line per sentence.
    """

    operation = "download_message_transcription"
