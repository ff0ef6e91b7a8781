"""A small HTTP/1.1 keep-alive load generator (asyncio streams), fast enough not to be the bottleneck.

Loopback only: the benches point it at servers they start themselves on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit


async def _worker(host: str, port: int, request: bytes, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            await writer.drain()
            length = 0
            status = await reader.readline()
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0 if status.split(b" ")[1] == b"200" else 1] += 1
    finally:
        writer.close()


def requests_per_second(url: str, headers: dict[str, str], seconds: float = 5.0, connections: int = 8) -> tuple[float, int]:
    """GET ``url`` over ``connections`` keep-alive connections for ``seconds``: (requests/s of 200s, non-200 count)."""
    parts = urlsplit(url)
    lines = [f"GET {parts.path}{'?' + parts.query if parts.query else ''} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def main() -> tuple[float, int]:
        counts = [0, 0]
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_worker(parts.hostname, parts.port, request, deadline, counts) for _ in range(connections)))
        return counts[0] / (time.perf_counter() - started), counts[1]

    return asyncio.run(main())
