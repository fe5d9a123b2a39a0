"""YAML read defensively: hostile or broken files (an alias bomb, 5000-level nesting, a self-referring alias,
duplicate keys, YAML 1.1's base-60 numbers) are refused with the line at fault before parsing costs time or
Python's recursion limit. None of the bounds binds a real config, which is a few kilobytes."""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

# A config is a few kilobytes; these bounds stop a hostile or broken file (an alias bomb, a 5000-level
# nesting) long before parsing it costs time or Python's recursion limit. None of them binds a real config.
MAX_CONFIG_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_NODES = 100_000  # counted with aliases expanded, as validation would walk them


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's sexagesimal numbers: `requests: 1:30` must not read as 90."""


ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith((":int", ":float"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class YamlProblem(Exception):
    """What is wrong with the text, and the 1-based line it is on."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse(text: str) -> tuple[yaml.MappingNode, dict[str, object]]:
    """The node tree (for lines) and the data of a config's text; YamlProblem when it is not a sound mapping."""
    if len(text) > MAX_CONFIG_BYTES:
        raise YamlProblem(f"the config is larger than {MAX_CONFIG_BYTES} bytes", 1)
    try:
        _check_shape(text)
        root = yaml.compose(text, Loader=ConfigLoader)
        if isinstance(root, yaml.Node):
            _check_size(root)
        data = yaml.load(text, Loader=ConfigLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlProblem(f"YAML syntax error: {problem}", line) from None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise YamlProblem("the config must be a YAML mapping (key: value lines)", 1)
    return root, data


def _check_shape(text: str) -> None:
    """Before composing (which recurses): nesting depth, and aliases that refer to their own anchor."""
    depth = 0
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=ConfigLoader):
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep", line)
            open_anchors.append(event.anchor)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            raise YamlProblem(f"the alias *{event.anchor} refers to a collection that contains it", line)


def _check_size(root: yaml.Node) -> None:
    """Nodes counted with aliases expanded (each shared node counted once per use, memoized)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        sizes[id(node)] = total
        return total

    if size(root) > MAX_NODES:
        raise YamlProblem(f"the config expands to more than {MAX_NODES} values (through aliases)", 1)


def duplicate_keys(root: yaml.Node) -> Iterable[tuple[int, str, str]]:
    """PyYAML silently keeps the last of two equal keys; a config with both is almost surely a mistake.

    Each node is visited once: an aliased node is the same object wherever it is used."""
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    while pending:
        node, path = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = f"{path}.{key.value}" if path else str(key.value)
                line = key.start_mark.line + 1
                if key.value in first:
                    yield line, name, f"duplicate key (first given on line {first[key.value]})"
                first.setdefault(key.value, line)
                pending.append((value, name))
        elif isinstance(node, yaml.SequenceNode):
            pending += [(item, f"{path}[{index}]") for index, item in enumerate(node.value)]
