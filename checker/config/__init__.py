"""The config: YAML (load) -> validated pydantic model (model, servers, common), errors at file:line:field."""

from checker.config.common import (
    CONCURRENT_MIN_FRACTION,
    DEFAULT_BASELINE_TOLERANCE,
    SERIALIZED_MAX_CONCURRENCY,
    Burst,
    Endpoint,
    Expectation,
)
from checker.config.model import Config
from checker.config.servers import (
    SERVERS,
    AnyMode,
    CommandMode,
    GunicornMode,
    HypercornMode,
    ModeBase,
    UvicornMode,
    WaitressMode,
    WerkzeugMode,
    fill_command,
)

__all__ = [
    "CONCURRENT_MIN_FRACTION",
    "DEFAULT_BASELINE_TOLERANCE",
    "SERIALIZED_MAX_CONCURRENCY",
    "SERVERS",
    "AnyMode",
    "Burst",
    "CommandMode",
    "Config",
    "Endpoint",
    "Expectation",
    "GunicornMode",
    "HypercornMode",
    "ModeBase",
    "UvicornMode",
    "WaitressMode",
    "WerkzeugMode",
    "fill_command",
]
