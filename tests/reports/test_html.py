"""The HTML report, as a reviewer opens it: written by a real run, loaded in headless Chromium (Debian's
`chromium`, installed by the fixture when missing), checked by its DOM and by a screenshot."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, burstcheck_argv

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed with apt-get on a machine that lacks it (as root, or with sudo -n)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    if subprocess.run(install, env=env, capture_output=True, timeout=1200).returncode != 0:
        subprocess.run([*sudo, "apt-get", "update", "-q"], env=env, capture_output=True, timeout=600, check=True)
        subprocess.run(install, env=env, capture_output=True, timeout=1200, check=True)
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium was installed but is not on PATH"
    return found


@pytest.fixture(scope="module")
def demo_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    done = subprocess.run(
        burstcheck_argv("demo", "--html", str(path), "-q"), capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path


def _headless(chromium: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(1500)
def test_the_report_renders_offline_with_a_timeline_per_result(chromium: str, demo_html: Path) -> None:
    html = demo_html.read_text()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    dom = _headless(chromium, "--dump-dom", demo_html.as_uri()).stdout
    assert '<h1>burstcheck: <span class="pass">pass</span></h1>' in dom
    assert dom.count('<tr><td class="pass">pass</td>') == 3  # serial, threaded, forked
    assert dom.count('<svg xmlns="http://www.w3.org/2000/svg" class="timeline"') == 3
    assert dom.count('<rect class="in-app"') == 30  # 10 requests in each mode's median burst
    assert "Why:</strong> the server handles one request at a time" in dom


@pytest.mark.timeout(1500)
def test_the_report_draws_a_page_a_reviewer_can_read(chromium: str, demo_html: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _headless(chromium, f"--screenshot={shot}", "--window-size=1280,2400", demo_html.as_uri())
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])  # the PNG header's IHDR chunk
    assert (width, height) == (1280, 2400)
    assert len(data) > 40_000  # a blank page compresses to a few kilobytes; this one has tables and charts
