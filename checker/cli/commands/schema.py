"""`burstcheck schema`: the config's JSON schema, generated from the model (field descriptions included). The
repository keeps its output as schemas/burstcheck.schema.json (a test holds the two equal), and `init` writes it
beside the configs it makes, for editors."""

from __future__ import annotations

import json

from checker.config import Config
from checker.errors import EXIT_OK

# The dialect pydantic writes, named so that editors and validators need not guess.
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_text() -> str:
    return json.dumps({"$schema": DIALECT, **Config.model_json_schema()}, indent=2) + "\n"


def schema() -> int:
    print(schema_text(), end="")
    return EXIT_OK
