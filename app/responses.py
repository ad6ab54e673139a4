"""JSON responses that can never contain NaN or Infinity.

orjson writes every non-finite float (Python or numpy) as `null` and serializes numpy
arrays natively, so the rule "no NaN in a response" holds by construction, and the same
object always gives the same bytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from fastapi.responses import JSONResponse

OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):  # orjson takes only C-contiguous arrays natively
        return np.ascontiguousarray(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")


def dumps(content: Any) -> bytes:
    try:
        return orjson.dumps(content, default=_default, option=OPTIONS)
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits and strings with lone surrogates, which a 422 may
        # echo back from the request (the middleware refuses such strings, this is the backstop)
        return orjson.dumps(_sanitized(content), default=_default, option=OPTIONS)


INT64 = (-(2**63), 2**64 - 1)  # orjson writes int64 and uint64


def _sanitized(value: Any) -> Any:
    """The same structure with every integer orjson cannot write as a float (null if it overflows)
    and lone surrogates in strings written as `\\udXXX` text."""
    if isinstance(value, dict):
        return {_text(k) if isinstance(k, str) else k: _sanitized(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitized(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int) and not isinstance(value, bool) and not INT64[0] <= value <= INT64[1]:
        try:
            return float(value)
        except OverflowError:
            return None
    return value


def _text(value: str) -> str:
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


class SafeJSONResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
