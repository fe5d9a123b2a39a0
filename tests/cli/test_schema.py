"""The config's JSON schema as editors read it: the repository's file is what `burstcheck schema` prints today,
every example config names it and validates against it, and so does a config that `init` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from checker.cli import init_template
from checker.cli.commands.schema import schema_text
from checker.cli.init_endpoint import EndpointChoice
from checker.config.servers import servers_of
from tests.conftest import REPO

SCHEMA_FILE = REPO / "schemas" / "burstcheck.schema.json"
CONFIGS = sorted((REPO / "configs").glob("*.yaml"))
HEADER = "# yaml-language-server: $schema=../schemas/burstcheck.schema.json\n"


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema_text(), "regenerate it: burstcheck schema > schemas/burstcheck.schema.json"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_example_config_names_the_schema_and_validates(path: Path) -> None:
    text = path.read_text()
    assert text.startswith(HEADER)
    assert not list(validator().iter_errors(yaml.safe_load(text)))


def test_what_init_writes_validates_and_a_typo_does_not() -> None:
    choice = EndpointChoice("/report", "the slowest", ["/: 0.2 ms"], trivial=True)
    for interface in ("wsgi", "asgi"):
        text = init_template.render(
            "web:app", interface=interface, framework="flask", choice=choice, servers=servers_of(interface)
        )
        assert not list(validator().iter_errors(yaml.safe_load(text)))
    typo = {"app": "web:app", "endpoints": [{"path": "/"}], "modes": [{"name": "a", "threads": 4, "expect": "serial"}]}
    assert list(validator().iter_errors(typo))
