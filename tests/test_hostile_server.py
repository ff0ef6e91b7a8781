"""The hostile server fixture itself answers as scripted (cut bodies, drips, endless bodies, raw paths)."""

import httpx
import pytest

from tests.hostile import Reply


def test_hostile_basics(hostile):
    hostile.route("GET", "/a", Reply(200, {"x": 1}))
    hostile.route("GET", "/cut", Reply(200, b'{"x": [1,2', content_type="application/json", declared_length=100))
    hostile.route("GET", "/drip", Reply(200, b"abcdefghij", drip_s=0.3))
    hostile.route("GET", "/endless", Reply(200, b"[", content_type="application/json", endless=True))
    assert httpx.get(hostile.base_url + "/a").json() == {"x": 1}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(hostile.base_url + "/cut")
    assert httpx.get(hostile.base_url + "/drip", timeout=1).text == "abcdefghij"
    with httpx.stream("GET", hostile.base_url + "/endless") as r:
        n = 0
        for chunk in r.iter_bytes():
            n += len(chunk)
            if n > 1_000_000:
                break
    assert n > 1_000_000
    assert httpx.get(hostile.base_url + "/x%2Fy").status_code == 404
    assert hostile.sent(path="/x%2Fy")
