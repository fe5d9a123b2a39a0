"""A release tag: `v` and a final version (`v1.2.3`), the only tags the release workflow runs on.

Shared by the release scripts beside it, which the workflow runs with any Python 3.10 or later (standard
library only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A final version, as PEP 440 and semantic versioning both write it: no pre-release, no leading zeros. A
# pre-release would move the Action's major tag to code that is not meant for everyone yet.
TAG = re.compile(r"v(?P<major>0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)")


class ReleaseError(Exception):
    """A release must not go ahead; the message says what to fix."""


@dataclass(frozen=True)
class ReleaseTag:
    name: str  # v1.2.3, as pushed
    version: str  # 1.2.3, as the package's __version__ and the changelog write it
    major_tag: str  # v1, the Action's tag that follows the newest release of its major version


def parse(tag: str) -> ReleaseTag:
    match = TAG.fullmatch(tag)
    if match is None:
        raise ReleaseError(f"{tag!r} is not a release tag: a release is tagged v and a final version, e.g. v1.2.3")
    return ReleaseTag(name=tag, version=tag[1:], major_tag=f"v{match['major']}")
