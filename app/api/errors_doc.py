"""The 4xx responses every endpoint documents in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    detail: Any


ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorDetail, "description": "request body over the size limit (1 MiB)"},
    422: {"model": ErrorDetail, "description": (
        "invalid input: the message names the field and allowed values. Besides what this schema states, "
        "validation enforces rules JSON Schema cannot express, also as 422 (type `value_error`, or "
        "`formula_error` at [..., \"expr\"]): a formula's syntax and names; the compute budget (the message "
        "says by how much and what to lower); orders within a value (a domain's lo < hi, lr_range's "
        "min < max, a phase axis' min < max inside the parameter's range, Rprop's etas and step sizes); "
        "rules across fields (plane.run below the number of optimizers, phase axes that the optimizer "
        "has, the loss against the data set's kind, newton not for networks, sweep paths and seeds). A "
        "body that is not JSON (or not UTF-8) is `json_invalid` at [\"body\"]")},
    503: {"model": ErrorDetail, "description": "the compute queue is full: retry after the `Retry-After` header's "
                                               "seconds"},
}
