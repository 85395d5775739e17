"""The HTML timeline opened in headless Chromium: its script draws every interval, labelled, and it renders."""

from __future__ import annotations

import datetime as dt
import os
import re
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
from skyconf.render.timeline_html import DEFAULT_COLOR, NO_RULE_COLOR, contrast, frame_color, text_color
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


# --- access: keyboard, screen readers, contrast, narrow screens, the filter --------------------------


class Page(HTMLParser):
    """Cards (ext -> hidden?), bars (attributes), the filter's label and status, and the probe, from a DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, bool] = {}
        self.bars: list[dict[str, str | None]] = []
        self.tracks: list[str | None] = []
        self.labels: dict[str, str] = {}
        self.status = ""
        self.probe: str | None = None
        self._label_for: str | None = None
        self._in_status = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "section" and "user" in classes:
            self.cards[str(a.get("data-ext"))] = "hidden" in a
        elif "interval" in classes:
            self.bars.append({"tag": tag, **a})
        elif tag == "ul" and "track" in classes:
            self.tracks.append(a.get("aria-label"))
        elif tag == "label":
            self._label_for = a.get("for")
        elif tag == "body":
            self.probe = a.get("data-probe")
        self._in_status = a.get("id") == "shown"

    def handle_data(self, data: str) -> None:
        if self._label_for:
            self.labels[self._label_for] = self.labels.get(self._label_for, "") + data
        if self._in_status:
            self.status += data

    def handle_endtag(self, tag: str) -> None:
        self._label_for = None
        self._in_status = False


def write_page(tmp_path: Path, *exts: str) -> Path:
    page = tmp_path / f"timeline{''.join(exts)}.html"
    args = ["--from", "2026-12-21", "--to", "2026-12-27", "--html", str(page)]
    for ext in exts:
        args += ["--ext", ext]
    result = CliRunner().invoke(timeline, [str(EXAMPLE), *args])
    assert result.exit_code == 0, result.output
    return page


def dom_of(chromium: Path, tmp_path: Path, url: str, *flags: str) -> Page:
    parser = Page()
    parser.feed(browse(chromium, tmp_path, *flags, "--dump-dom", url).stdout.decode())
    return parser


def rgb_hex(css: str, prop: str) -> str:
    """`background: rgb(1, 2, 3); color: rgb(...)` -> '#010203' for the property asked."""
    match = re.search(rf"(?:^|;)\s*{prop}:\s*rgb\((\d+), (\d+), (\d+)\)", css)
    assert match, f"no {prop} in {css!r}"
    return "#" + "".join(f"{int(v):02x}" for v in match.groups())


def test_frame_colours_are_stable_and_readable() -> None:
    names = ["Holiday", "Open Hours", "Closed Hours", "Lunch", "Night", "Weekend", "On Call", "Inventory"]
    for name in names:
        color = frame_color(name)
        assert color == frame_color(name)
        assert contrast(color, text_color(color)) >= 4.5, name
    assert len({frame_color(n) for n in names}) == len(names)
    for fixed in (DEFAULT_COLOR, NO_RULE_COLOR):
        assert contrast(fixed, text_color(fixed)) >= 4.5


def test_bars_are_reachable_named_and_readable(chromium: Path, tmp_path: Path) -> None:
    dom = dom_of(chromium, tmp_path, write_page(tmp_path).as_uri())
    assert dom.labels["filter"] == "Filter by user or department"
    assert dom.tracks[0] is not None and dom.tracks[0].startswith("Timeline of 101 Alice Chen, ")
    assert dom.bars and all(b["tag"] == "li" and b["tabindex"] == "0" and b["aria-label"] for b in dom.bars)
    colors = {}
    for bar in dom.bars:
        style = str(bar["style"])
        background, ink = rgb_hex(style, "background(?:-color)?"), rgb_hex(style, "color")
        assert contrast(background, ink) >= 4.5, bar
        colors[bar["data-frame"]] = background
    assert colors["Holiday"] == frame_color("Holiday")
    # The same frame keeps its colour on a page that shows another set of users.
    only_104 = dom_of(chromium, tmp_path, write_page(tmp_path, "104").as_uri())
    alone = {b["data-frame"]: rgb_hex(str(b["style"]), "background(?:-color)?") for b in only_104.bars}
    assert alone["Open Hours"] == colors["Open Hours"] == frame_color("Open Hours")


def test_the_filter_finds_users_by_department_from_the_address(chromium: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path)
    dom = dom_of(chromium, tmp_path, page.as_uri() + "#filter=sales")
    assert dom.cards == {"101": True, "102": False, "103": False, "104": True}
    assert dom.status == "2 of 4 users shown"
    dom = dom_of(chromium, tmp_path, page.as_uri() + "#filter=alice")
    assert dom.cards == {"101": False, "102": True, "103": True, "104": True}


PROBE = """<script>
(function () {
  var first = document.querySelector(".interval");
  first.focus();
  var shownOnFocus = document.getElementById("tip").classList.contains("on");
  first.dispatchEvent(new KeyboardEvent("keydown", {key: "ArrowRight", bubbles: true}));
  var moved = document.activeElement.getAttribute("aria-label");
  document.activeElement.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true}));
  var hidden = !document.getElementById("tip").classList.contains("on");
  var wide = document.documentElement.scrollWidth;
  document.body.dataset.probe = [shownOnFocus, moved, hidden, wide, window.innerWidth].join("|");
})();
</script>
</body>"""


def test_keyboard_moves_along_a_track_and_the_page_holds_at_600_px(chromium: Path, tmp_path: Path) -> None:
    page = write_page(tmp_path)
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE))
    dom = dom_of(chromium, tmp_path, probed.as_uri(), "--window-size=600,900")
    assert dom.probe is not None
    shown, moved, hidden, wide, window = dom.probe.split("|")
    assert shown == "true" and hidden == "true"
    assert moved == dom.bars[1]["aria-label"] and str(dom.bars[1]["aria-label"]).startswith("Open Hours, ")
    assert window == "600" and int(wide) <= 600, "no horizontal scrolling at 600 px"
