"""Check the built sdist and wheel before they are published: their version is the tag's, and they hold the
whole package (its data files too), the license and the command.

    python .github/scripts/check_dists.py v1.2.3 dist/

`twine check` has already read their metadata as PyPI will; this checks what twine cannot know: what this
project's distributions must contain. Run from the checkout's root (the package's source is the reference)."""

from __future__ import annotations

import argparse
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from release_tag import ReleaseError, parse

PROJECT = "burstcheck"
PACKAGE = "checker"  # the import package, whose every file (code and data) the wheel must hold
LICENSE = "LICENSE"
COMMAND = f"{PROJECT} = {PACKAGE}.cli.main:main"
SKIPPED_PARTS = {"__pycache__"}  # made by running the code, never part of it
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


def package_files(root: Path) -> set[str]:
    """The package's files relative to the checkout, as the wheel names them (`checker/demo/burstcheck.yaml`)."""
    files = set()
    for path in (root / PACKAGE).rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not SKIPPED_PARTS & set(relative.parts) and path.suffix not in SKIPPED_SUFFIXES:
            files.add(relative.as_posix())
    return files


def metadata(text: str) -> Message:
    return HeaderParser().parsestr(text)


def check_wheel(path: Path, version: str, expected: set[str]) -> None:
    dist_info = f"{PROJECT}-{version}.dist-info"
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        missing = sorted(expected - names)
        if missing:
            raise ReleaseError(f"{path.name} lacks files of the package: {', '.join(missing)} (package data?)")
        strays = sorted(n for n in names if not n.startswith((f"{PACKAGE}/", f"{dist_info}/")))
        if strays:
            raise ReleaseError(f"{path.name} holds files outside the package: {', '.join(strays)}")
        if f"{dist_info}/licenses/{LICENSE}" not in names:
            raise ReleaseError(f"{path.name} lacks {dist_info}/licenses/{LICENSE}")
        meta = metadata(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    if meta["Name"] != PROJECT or meta["Version"] != version:
        raise ReleaseError(f"{path.name}: its metadata names {meta['Name']} {meta['Version']}")
    if meta["License-Expression"] != "MIT" or meta.get_all("License-File") != [LICENSE]:
        raise ReleaseError(f"{path.name}: License-Expression MIT and License-File {LICENSE} expected in METADATA")
    if COMMAND not in entry_points.splitlines():
        raise ReleaseError(f"{path.name}: the command `{COMMAND}` is not among its entry points")


def check_sdist(path: Path, version: str, expected: set[str]) -> None:
    top = f"{PROJECT}-{version}"
    with tarfile.open(path) as sdist:
        names = {name.removeprefix(f"{top}/") for name in sdist.getnames()}
        pkg_info = sdist.extractfile(f"{top}/PKG-INFO")
        meta = metadata(pkg_info.read().decode()) if pkg_info else Message()
    missing = sorted((expected | {LICENSE, "README.md", "CHANGELOG.md", "pyproject.toml"}) - names)
    if missing:
        raise ReleaseError(f"{path.name} lacks {', '.join(missing)}")
    if meta["Version"] != version:
        raise ReleaseError(f"{path.name}: its PKG-INFO names version {meta['Version']}")


def check(tag: str, dist: Path, root: Path) -> list[Path]:
    """The distributions in `dist`, checked; a ReleaseError says what is wrong."""
    release = parse(tag)
    found = sorted(p for p in dist.iterdir() if p.is_file())
    wheels = [p for p in found if p.name.endswith(".whl")]
    sdists = [p for p in found if p.name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1 or len(found) != 2:
        raise ReleaseError(f"{dist} should hold one wheel and one sdist, not: {', '.join(p.name for p in found)}")
    built = sdists[0].name.removeprefix(f"{PROJECT}-").removesuffix(".tar.gz")
    if built != release.version:
        raise ReleaseError(
            f"the tag {release.name} names version {release.version}, but the package builds {built}: set "
            f"__version__ in {PACKAGE}/__init__.py and its CHANGELOG.md section, then tag that commit"
        )
    if wheels[0].name != f"{PROJECT}-{built}-py3-none-any.whl":
        raise ReleaseError(f"{wheels[0].name}: expected {PROJECT}-{built}-py3-none-any.whl (pure Python)")
    expected = package_files(root)
    check_wheel(wheels[0], built, expected)
    check_sdist(sdists[0], built, expected)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag", help="the release tag, e.g. v1.2.3")
    parser.add_argument("dist", type=Path, help="the folder `python -m build` wrote")
    parser.add_argument("--root", type=Path, default=Path(), help="the checkout (default: here)")
    args = parser.parse_args(argv)
    try:
        found = check(args.tag, args.dist, args.root)
    except (ReleaseError, OSError, KeyError, zipfile.BadZipFile, tarfile.TarError) as error:
        print(f"::error title=distributions::{error}", file=sys.stderr)
        return 1
    print(f"{' and '.join(p.name for p in found)}: version, package files, license and command as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
