"""First load (issue 20): GET answers gzip-compressed, versioned static files cached immutably and
compressed once, large POST answers gzipped only off the loopback, NDJSON streams never (app/compression.py)."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient

from app.compression import POST_MIN_BYTES, asset_version
from app.main import create_app

GZ = {"accept-encoding": "gzip"}


def test_the_page_links_its_scripts_and_styles_under_the_content_version(client):
    page = client.get("/", headers=GZ)
    assert page.headers["content-encoding"] == "gzip"
    version = asset_version()
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    assert f'src="/static/{version}/js/main.js"' in page.text
    assert f'href="/static/{version}/css/app.css"' in page.text
    assert f'rel="modulepreload" href="/static/{version}/js/views/paths.js"' in page.text


def test_versioned_static_files_are_immutable_and_gzipped_and_equal_the_file(client):
    plain = client.get("/static/js/main.js", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200 and "immutable" not in plain.headers.get("cache-control", "")
    for _ in range(2):  # the second answer comes from the compressed cache: same headers, same bytes
        res = client.get(f"/static/{asset_version()}/js/main.js", headers=GZ)
        assert res.status_code == 200
        assert res.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert res.headers["content-encoding"] == "gzip"
        assert int(res.headers["content-length"]) < len(plain.content)
        assert res.content == plain.content  # httpx decodes the gzip body
        assert res.headers["content-security-policy"].startswith("default-src 'self'")
    missing = client.get(f"/static/{asset_version()}/js/nope.js", headers=GZ)
    assert missing.status_code == 404 and "immutable" not in missing.headers.get("cache-control", "")


def test_plotly_bundle_is_compressed_to_under_a_third(client):
    res = client.get("/vendor/plotly.min.js?v=1", headers=GZ)
    assert res.headers["content-encoding"] == "gzip" and "immutable" in res.headers["cache-control"]
    assert int(res.headers["content-length"]) * 3 < len(res.content)


RUN = {"surface": {"name": "quadratic"}, "steps": 200, "optimizers": [{"name": "gd", "lr": 0.01}]}
SCENE = {**RUN, "grid_n": 121, "include_run": False}


@pytest.fixture(scope="module")
def local():
    """A client on the loopback, as the page on the teacher's own machine (TestClient's default is remote)."""
    with TestClient(create_app(), client=("127.0.0.1", 50000)) as c:
        yield c


def raw_post(client, url, body):
    """(headers, body bytes as sent): httpx would otherwise decode the gzip transparently."""
    with client.stream("POST", url, json=body, headers=GZ) as res:
        assert res.status_code == 200
        return res.headers, b"".join(res.iter_raw())


def test_on_the_loopback_post_answers_and_streams_are_sent_as_they_are(local):
    for url, body in [("/api/run", RUN), ("/api/scene", SCENE), ("/api/run/stream", RUN)]:
        headers, _ = raw_post(local, url, body)
        assert "content-encoding" not in headers, url
    assert local.get("/api/surfaces", headers=GZ).headers["content-encoding"] == "gzip"


def test_over_a_network_a_large_post_answer_is_gzipped_and_decodes_to_the_same_json(client, local):
    headers, packed = raw_post(client, "/api/scene", SCENE)  # TestClient's default peer: 'testclient'
    assert headers["content-encoding"] == "gzip" and "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(packed)
    plain = local.post("/api/scene", json=SCENE, headers=GZ).content
    assert len(plain) >= POST_MIN_BYTES and len(packed) * 1.6 < len(plain)
    assert gzip.decompress(packed) == plain  # the same bytes, only smaller on the wire


def test_over_a_network_small_answers_errors_and_streams_are_sent_as_they_are(client):
    small = {**RUN, "steps": 5}
    headers, body = raw_post(client, "/api/run", small)
    assert "content-encoding" not in headers and len(body) < POST_MIN_BYTES
    headers, body = raw_post(client, "/api/run/stream", RUN)
    assert "content-encoding" not in headers and headers["content-type"].startswith("application/x-ndjson")
    assert body.count(b"\n") >= 2  # NDJSON lines, readable as they come
    refused = client.post("/api/run", json={**RUN, "steps": 10**9}, headers=GZ)
    assert refused.status_code == 422 and "content-encoding" not in refused.headers


def test_a_client_that_does_not_accept_gzip_gets_plain_json(client):
    res = client.post("/api/scene", json=SCENE, headers={"accept-encoding": "identity"})
    assert res.status_code == 200 and "content-encoding" not in res.headers
    assert len(res.json()["grid"]["z"]) == 121
