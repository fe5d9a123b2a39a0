"""The parts of a config that every server mode shares: a strict model base, the endpoint, the burst and the
expectation. One declarative pydantic model per concept, unknown keys rejected; field descriptions double as
the JSON schema (`burstcheck schema`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

# `expect: serialized` means "at most this measured concurrency": one-after-another requests measure
SERIALIZED_MAX_CONCURRENCY = 1.5
# `expect: concurrent` means "at least this share of the burst ran at once": 0.8 * N tolerates connection
# set-up and scheduling jitter on a loaded 2-core runner, yet fails any server capped below N.
CONCURRENT_MIN_FRACTION = 0.8

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# A drop of more than this share against the baseline is a regression: above the variation between two runs
# of the same cell that the accuracy benchmark measured (README, "Comparing with main").
DEFAULT_BASELINE_TOLERANCE = 0.25
# A request path as it goes on the request line: no whitespace or control characters (write %20 for a space).
REQUEST_PATH = re.compile(r"^/[^\s\x00-\x1f\x7f]*$")
# RFC 9110 token: what a header name may hold; anything else is refused by the HTTP client at run time.
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Control characters other than tab; in a header value they end the header (CR/LF) or are refused.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class StrictModel(BaseModel):
    # NaN and infinity pass every bound check in pydantic's eyes; no field of a config means either.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


NoNul = Annotated[str, AfterValidator(_no_nul)]


def _request_path(value: str) -> str:
    if not REQUEST_PATH.match(value):
        raise ValueError("a path starts with '/' and holds no spaces or control characters (write %20 for a space)")
    return value


RequestPath = Annotated[str, AfterValidator(_request_path)]


class Endpoint(StrictModel):
    """One HTTP request that each burst sends N times at once."""

    path: RequestPath = Field(description="Request path, starting with '/', e.g. /slow?n=1 (no spaces: write %20).")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = Field(
        "GET", description="HTTP method."
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")
    body: str | None = Field(None, description="Request body, sent as UTF-8.")
    expect_status: int = Field(200, ge=100, le=599, description="Status every response must have.")

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            if not HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} may hold only letters, digits and !#$%&'*+-.^_`|~")
            if CONTROL_CHARACTERS.search(value):
                raise ValueError(f"header {name}: the value holds a control character (CR, LF, ...)")
            if value != value.strip(" \t"):
                raise ValueError(f"header {name}: the value starts or ends with whitespace")
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                raise ValueError(
                    f"header {name}: HTTP header values are Latin-1; percent-encode other text ({value!r})"
                ) from None
        return headers

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


class Burst(StrictModel):
    """How each mode is measured."""

    requests: int = Field(10, ge=2, le=2000, description="Simultaneous requests in one burst (N).")
    repeats: int = Field(3, ge=1, le=50, description="Bursts per mode; the verdict uses the median.")
    timeout: float = Field(30.0, gt=0, le=3600, description="Seconds each request may take.")
    calibration_requests: int = Field(
        5, ge=1, le=100, description="Sequential requests: their median latency is L1, their time in the app S."
    )


class Expectation(StrictModel):
    """Bounds on the measured concurrency (allowed concurrency, or client-side C for command servers)."""

    min_concurrency: float | None = Field(None, gt=0, description="Fail when the measured concurrency is below this.")
    max_concurrency: float | None = Field(None, gt=0, description="Fail when the measured concurrency is above this.")
    min_parallelism: float | None = Field(
        None,
        gt=0,
        le=1024,
        description="Fail when fewer cores' worth of CPU ran at once (the GIL, the cores); judged only where the"
        " machine can show it: with other processes busy, or fewer cores than this, a miss is 'could not measure'.",
    )
    # Set by the short forms; not a key to write (the schema leaves it out, the validator refuses it).
    keyword: SkipJsonSchema[Literal["serialized", "concurrent"] | None] = Field(
        None, description="Set by the short forms `expect: serialized` and `expect: concurrent`."
    )

    @field_validator("max_concurrency")
    @classmethod
    def _max_not_below_min(cls, value: float | None, info: ValidationInfo) -> float | None:
        low = info.data.get("min_concurrency")
        if value is not None and low is not None and value < low:
            raise ValueError(f"max_concurrency ({value:g}) is below min_concurrency ({low:g})")
        return value

    @model_validator(mode="after")
    def _some_bound(self) -> Expectation:
        if (
            self.keyword is None
            and self.min_concurrency is None
            and self.max_concurrency is None
            and self.min_parallelism is None
        ):
            raise ValueError("give min_concurrency, max_concurrency or both (or min_parallelism)")
        return self

    def bounds(self, requests: int) -> tuple[float | None, float | None]:
        """(min, max) measured concurrency for a burst of `requests`."""
        if self.keyword == "concurrent":
            return CONCURRENT_MIN_FRACTION * requests, None
        return self.min_concurrency, self.max_concurrency

    def describe(self, requests: int) -> str:
        low, high = self.bounds(requests)
        parts = [f">= {low:g}"] if low is not None else []
        parts += [f"<= {high:g}"] if high is not None else []
        text = " and ".join(parts)
        text = f"{self.keyword} ({text})" if self.keyword else text
        if self.min_parallelism is not None:
            text = " and ".join([part for part in (text, f"parallelism >= {self.min_parallelism:g}") if part])
        return text


def _expand_keyword(value: Any) -> Any:
    if value == "serialized":
        return {"max_concurrency": SERIALIZED_MAX_CONCURRENCY, "keyword": "serialized"}
    if value == "concurrent":
        return {"keyword": "concurrent"}
    if isinstance(value, dict) and "keyword" in value:
        raise ValueError("'keyword' is set by the short forms; write `expect: serialized` instead")
    if not isinstance(value, dict):
        raise ValueError("expect must be 'serialized', 'concurrent' or a mapping with min_concurrency/max_concurrency")
    return value


# The schema offers what a config may say: a short form, or the bounds.
ExpectField = Annotated[
    Expectation,
    BeforeValidator(_expand_keyword, json_schema_input_type=Literal["serialized", "concurrent"] | Expectation),
]
