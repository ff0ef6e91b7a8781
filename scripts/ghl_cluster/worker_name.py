"""``[core] hostname_callable`` of the cluster: the machine's name plus the Celery worker's, so a task instance's
``hostname`` says which of the two workers on this one machine ran it (the deferrable-sensor check reads it)."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    worker = os.environ.get("GHL_CLUSTER_WORKER")
    return f"{socket.getfqdn()}/{worker}" if worker else socket.getfqdn()
