"""The HTML timeline opened in headless Chromium: its script draws every interval, labelled, and it renders."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from skyconf.cli.routing import timeline
from skyconf.load import load_tenant
from skyconf.resolve import resolve
from skyconf.routing import frame_label, intervals

EXAMPLE = Path(__file__).resolve().parent.parent / "tenants" / "example"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
TORONTO = ZoneInfo("America/Toronto")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium; installed with apt-get when missing and running as root, else the test is skipped."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ("-o", "DPkg::Lock::Timeout=600")  # other test sessions may be installing too
        for args in (("update", "-q"), ("install", "-y", "-q", "chromium")):
            subprocess.run(["apt-get", *wait, *args], env=env, capture_output=True, check=False, timeout=1800)
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install -y chromium)")
    return CHROMIUM


def browse(browser: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    done = subprocess.run(
        [str(browser), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


class Bars(HTMLParser):
    """The interval bars in a dumped DOM: (user, data-frame, label text, aria-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.ext: str | None = None
        self.bars: list[list[str | None]] = []
        self.in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section" and "user" in classes:
            self.ext = a.get("data-ext")
        elif "interval" in classes:
            self.bars.append([self.ext, a.get("data-frame"), "", a.get("aria-label")])
        self.in_label = tag == "span" and "label" in classes and bool(self.bars)

    def handle_endtag(self, tag: str) -> None:
        self.in_label = False

    def handle_data(self, data: str) -> None:
        if self.in_label:
            self.bars[-1][2] = str(self.bars[-1][2]) + data


def test_the_timeline_page_draws_every_interval_and_renders(chromium: Path, tmp_path: Path) -> None:
    page = tmp_path / "timeline.html"
    args = ["--from", "2026-12-21", "--to", "2026-12-27", "--html", str(page)]
    result = CliRunner().invoke(timeline, [str(EXAMPLE), *args])
    assert result.exit_code == 0, result.output
    assert 'class="interval' not in page.read_text()  # the script draws the bars

    state = resolve(load_tenant(EXAMPLE)).state
    start = dt.datetime(2026, 12, 21, tzinfo=TORONTO)
    expected = [
        [ext, frame_label(i.frame), frame_label(i.frame)]
        for ext in ("101", "102", "103", "104")
        for i in intervals(state, ext, start, start + dt.timedelta(days=7))
    ]

    dom = browse(chromium, tmp_path, "--dump-dom", page.as_uri()).stdout.decode()
    parser = Bars()
    parser.feed(dom)
    assert [bar[:3] for bar in parser.bars] == expected
    assert ["101", "Holiday", "Holiday", "Holiday, Thu Dec 24 13:00–Fri Dec 25 12:00: forwards to voicemail 101"] in (
        parser.bars
    )

    shot = tmp_path / "timeline.png"
    browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1400,900", page.as_uri())
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1400, 900)
    assert len(png) > 30_000  # a blank or unstyled page compresses to far less
