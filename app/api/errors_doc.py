"""The 4xx responses every endpoint documents in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorDetail, "description": "request body over the size limit (1 MiB)"},
    422: {"model": ErrorDetail, "description": "invalid input: the message names the field and allowed values; "
                                               "a body that is not JSON (or not UTF-8) is `json_invalid` at "
                                               "[\"body\"]; a request over the compute budget says by how much "
                                               "and what to lower"},
    503: {"model": ErrorDetail, "description": "the compute queue is full: retry after the `Retry-After` header's "
                                               "seconds"},
}
