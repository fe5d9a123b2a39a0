"""`burstcheck schema`: the config's JSON schema, generated from the model (field descriptions included)."""

from __future__ import annotations

import json

from checker.config import Config
from checker.errors import EXIT_OK


def schema() -> int:
    print(json.dumps(Config.model_json_schema(), indent=2))
    return EXIT_OK
