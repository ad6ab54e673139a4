"""First load (issue 20): GET answers gzip-compressed, versioned static files cached immutably and
compressed once, POST answers and NDJSON streams sent as they are (app/compression.py)."""

from __future__ import annotations

import re

from app.compression import asset_version

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


def test_post_answers_and_streams_are_not_compressed(client):
    body = {"surface": {"name": "quadratic"}, "steps": 200, "optimizers": [{"name": "gd", "lr": 0.01}]}
    run = client.post("/api/run", json=body, headers=GZ)
    assert run.status_code == 200 and "content-encoding" not in run.headers
    stream = client.post("/api/run/stream", json=body, headers=GZ)
    assert stream.status_code == 200 and "content-encoding" not in stream.headers
    assert stream.headers["content-type"].startswith("application/x-ndjson")
    catalogue = client.get("/api/surfaces", headers=GZ)
    assert catalogue.headers["content-encoding"] == "gzip"
