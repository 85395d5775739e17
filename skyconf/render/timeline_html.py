"""Call-routing timelines as one self-contained HTML page: a bar per interval on a time axis, per user.

Python decides everything (positions in %, colours, labels, ticks); the inline script only lays the
bars out from the embedded JSON and adds the hover card and the filter, so the page needs no network
and no library. Each frame's colour comes from a hash of its name, so a frame keeps its colour across
pages and tenants, and is dark enough for its label to read at 4.5:1 or better (WCAG AA). Bars are
reachable with the keyboard (Tab, arrow keys, Escape) and named for screen readers; each user's table
says the same in text. `#filter=Sales` in the address pre-fills the filter.

Why this module is long: most of it is the page itself (its CSS and script as Python strings), kept
beside the code that fills them so the two cannot drift apart.
"""

from __future__ import annotations

import colorsys
import datetime as dt
import hashlib
import html
import json
import math
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

from skyconf.model.rules import DEFAULT_RULE
from skyconf.render.timeline_text import moment_label, span_label, user_title
from skyconf.routing import Interval, describe, frame_label, local_instant

DEFAULT_COLOR, NO_RULE_COLOR = "#475569", "#cbd5e1"
LIGHT_TEXT, DARK_TEXT = "#ffffff", "#1f2937"
MIN_CONTRAST = 4.5
_HOUR = dt.timedelta(hours=1)


def render_timeline_html(
    timelines: Mapping[str, Sequence[Interval]],
    zone: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    *,
    title: str,
    source: str,
    user_zones: Mapping[str, zoneinfo.ZoneInfo] | None = None,
    departments: Mapping[str, str] | None = None,
) -> str:
    """The page for [start, end); `source` says where the state came from (YAML or live PBX);
    `departments` (by extension) let the filter find users by department."""
    colors = _colors(timelines)
    data = {
        "title": title,
        "subtitle": f"{moment_label(start, zone)} – {moment_label(end, zone)} · times in {zone.key} · {source}",
        "ticks": _ticks(start, end, zone),
        "shade": _weekends(start, end, zone),
        "legend": [{"frame": name, "color": color} for name, color in colors.items()],
        "users": [
            {
                **_user(ext, timeline, colors, zone, start, end, (user_zones or {}).get(ext)),
                "department": (departments or {}).get(ext, ""),
            }
            for ext, timeline in timelines.items()
        ],
    }
    payload = json.dumps(data, ensure_ascii=False).replace("&", "\\u0026").replace("<", "\\u003c")
    page = _PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", payload)
    return page.replace("__CSS__", _CSS).replace("__JS__", _JS)


def _user(
    ext: str,
    timeline: Sequence[Interval],
    colors: Mapping[str, str],
    zone: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    own_zone: zoneinfo.ZoneInfo | None,
) -> dict[str, Any]:
    total = (end - start).total_seconds()
    name = user_title(timeline[0].routing) if timeline else ext
    return {
        "ext": ext,
        "name": name.removeprefix(ext).strip(" ()"),
        "note": f"time frames in {own_zone.key}" if own_zone and own_zone.key != zone.key else "",
        "intervals": [
            {
                "x": _pct(i.start - start, total),
                "w": _pct(i.end - i.start, total),
                "frame": frame_label(i.frame),
                "color": colors[frame_label(i.frame)],
                "ink": text_color(colors[frame_label(i.frame)]),
                "when": span_label(i.start, i.end, zone),
                "what": describe(i.routing, with_frame=False).replace(" -> ", " → "),
            }
            for i in timeline
        ],
    }


def _colors(timelines: Mapping[str, Sequence[Interval]]) -> dict[str, str]:
    """Frame label -> colour, in order of first appearance (the legend's order)."""
    colors: dict[str, str] = {}
    for timeline in timelines.values():
        for i in timeline:
            label = frame_label(i.frame)
            if label not in colors:
                colors[label] = (
                    DEFAULT_COLOR
                    if i.frame == DEFAULT_RULE
                    else NO_RULE_COLOR
                    if i.frame is None
                    else frame_color(label)
                )
    return colors


def frame_color(name: str) -> str:
    """A colour of the frame's own: the hue from a hash of its name, darkened until white reads on it."""
    digest = hashlib.sha256(name.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    saturation = 0.55 + digest[2] / 255 * 0.25
    lightness = 0.46
    while True:
        r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
        color = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if contrast(color, LIGHT_TEXT) >= MIN_CONTRAST or lightness <= 0.2:
            return color
        lightness -= 0.02


def text_color(background: str) -> str:
    """White on dark colours, dark ink on light ones: whichever reads better."""
    return LIGHT_TEXT if contrast(background, LIGHT_TEXT) >= contrast(background, DARK_TEXT) else DARK_TEXT


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _ticks(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dict[str, Any]]:
    """Axis ticks at local midnights (and every few hours on short windows), labelled without crowding."""
    days = (end - start) / dt.timedelta(days=1)
    step = 3 if days <= 2 else 6 if days <= 5 else 24
    label_every = max(1, math.ceil(days / 16)) if step == 24 else 1
    total = (end - start).total_seconds()
    local = start.astimezone(zone).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    ticks: list[dict[str, Any]] = []
    count = 0
    while (instant := local_instant(local, zone)) <= end:
        if instant >= start:
            major = local.hour == 0
            text = f"{local:%a %b} {local.day}" if major else f"{local:%H:%M}"
            if major:
                text, count = (text if count % label_every == 0 else ""), count + 1
            ticks.append({"x": _pct(instant - start, total), "label": text, "major": major})
        local += step * _HOUR
    return ticks


def _weekends(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> list[dict[str, float]]:
    total = (end - start).total_seconds()
    day = start.astimezone(zone).date()
    out: list[dict[str, float]] = []
    while (a := local_instant(dt.datetime.combine(day, dt.time()), zone)) < end:
        b = local_instant(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), zone)
        a, b = max(a, start), min(b, end)
        if day.weekday() >= 5 and a < b:
            out.append({"x": _pct(a - start, total), "w": _pct(b - a, total)})
        day += dt.timedelta(days=1)
    return out


def _pct(length: dt.timedelta, total: float) -> float:
    """A length of time as a percentage of the window (CSS left/width)."""
    return round(length.total_seconds() / total * 100, 4)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>__CSS__</style>
</head>
<body>
<main>
<header><h1 id="title">__TITLE__</h1><p id="subtitle"></p></header>
<noscript><p>This page draws its timeline with JavaScript; please enable it.</p></noscript>
<div class="filter">
<label for="filter">Filter by user or department</label>
<input id="filter" type="search" autocomplete="off" placeholder="e.g. 101, Alice, Sales">
<span id="shown" role="status" aria-live="polite"></span>
</div>
<div id="timeline"></div>
<footer>Made by <code>skyconf timeline</code>. Hover or focus a bar (Tab, then the arrow keys) for the
details; Escape hides them. Each card lists its intervals.</footer>
</main>
<div id="tip" role="tooltip" aria-hidden="true"></div>
<script type="application/json" id="timeline-data">__DATA__</script>
<script>__JS__</script>
</body>
</html>
"""

_CSS = """
:root { --ink: #1f2937; --muted: #4b5563; --line: #e5e7eb; --bg: #f3f4f6; --card: #ffffff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1360px; margin: 0 auto; padding: 28px 32px 40px; }
h1 { font-size: 22px; font-weight: 650; margin: 0 0 2px; letter-spacing: -0.01em; }
#subtitle { margin: 0; color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 16px 0 18px; }
.chip { display: inline-flex; align-items: center; gap: 7px; color: #374151; }
.filter { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; margin: 14px 0 0; }
.filter label { font-weight: 600; }
.filter input { font: inherit; padding: 5px 9px; border: 1px solid #6b7280; border-radius: 6px; min-width: 0;
  width: 16em; max-width: 100%; color: var(--ink); background: #fff; }
.filter input:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 1px; }
#shown { color: var(--muted); font-size: 12px; }
.swatch { width: 14px; height: 14px; border-radius: 4px; }
.user { background: var(--card); border-radius: 12px; padding: 14px 18px 10px; margin-bottom: 14px;
  box-shadow: 0 1px 2px rgba(0, 0, 0, .06), 0 2px 10px rgba(0, 0, 0, .04); }
.user h2 { font-size: 15px; font-weight: 600; margin: 0 0 10px; display: flex; flex-wrap: wrap;
  align-items: baseline; gap: 4px 8px; }
.ext { font: 600 12px/1 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef2ff;
  color: #3730a3; padding: 4px 7px; border-radius: 6px; }
.note { color: var(--muted); font-weight: 400; font-size: 12px; }
.track { position: relative; height: 48px; border-radius: 8px; background: #f8fafc; overflow: hidden;
  margin: 0; padding: 0; list-style: none; }
.shade { position: absolute; top: 0; bottom: 0; background: rgba(15, 23, 42, .045); }
.grid { position: absolute; top: 0; bottom: 0; width: 1px; background: rgba(15, 23, 42, .10); }
.interval { position: absolute; top: 5px; bottom: 5px; min-width: 2px; border-radius: 6px; color: #fff;
  padding: 3px 8px; overflow: hidden; white-space: nowrap; display: flex; flex-direction: column;
  justify-content: center; box-shadow: inset 0 0 0 1px rgba(255, 255, 255, .25); cursor: default;
  transition: filter .1s; }
.interval:hover { filter: brightness(1.1) saturate(1.1); }
.interval:focus-visible { outline: 3px solid #111827; outline-offset: -3px; box-shadow: inset 0 0 0 5px #fff; }
.interval .label { font-weight: 650; font-size: 12px; overflow: hidden; text-overflow: ellipsis; }
.interval .what { font-size: 11px; overflow: hidden; text-overflow: ellipsis; }
.interval.tight { padding: 0; }
.interval.tight span { display: none; }
.axis { position: relative; height: 24px; margin-top: 3px; overflow: hidden; font-size: 11px; color: var(--muted); }
.tick { position: absolute; top: 0; padding-left: 4px; border-left: 1px solid #cbd5e1; height: 9px;
  line-height: 20px; white-space: nowrap; }
.tick.major { border-left-color: #94a3b8; height: 12px; color: #374151; }
details { margin-top: 4px; font-size: 12px; }
summary { cursor: pointer; color: var(--muted); padding: 4px 0; }
.rows { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; }
td, th { text-align: left; padding: 4px 8px; border-top: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.when, td.frame { white-space: nowrap; }
td .dot { display: inline-block; width: 9px; height: 9px; border-radius: 3px; margin-right: 6px; }
footer { color: var(--muted); font-size: 12px; margin-top: 20px; }
#tip { position: fixed; z-index: 10; max-width: 460px; pointer-events: none; opacity: 0; transition: opacity .08s;
  background: #111827; color: #f9fafb; padding: 9px 11px; border-radius: 8px; font-size: 12px;
  box-shadow: 0 8px 24px rgba(0, 0, 0, .25); }
#tip.on { opacity: 1; }
#tip b { display: block; font-size: 13px; }
#tip .when { color: #cbd5e1; display: block; margin-bottom: 4px; }
.user[hidden] { display: none; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 720px) {
  main { padding: 16px 10px 24px; }
  .user { padding: 12px 10px 8px; }
  .interval .what { display: none; }
  td.when, td.frame { white-space: normal; }
  #tip { max-width: calc(100vw - 16px); }
}
"""

_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("timeline-data").textContent);
  var root = document.getElementById("timeline");
  var tip = document.getElementById("tip");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function place(node, x, w) {
    node.style.left = x + "%";
    if (w !== undefined) node.style.width = w + "%";
    return node;
  }

  document.getElementById("subtitle").textContent = data.subtitle;

  var legend = el("div", "legend");
  data.legend.forEach(function (item) {
    var chip = el("span", "chip");
    var swatch = el("span", "swatch");
    swatch.style.background = item.color;
    chip.appendChild(swatch);
    chip.appendChild(document.createTextNode(item.frame));
    legend.appendChild(chip);
  });
  root.appendChild(legend);

  function fillTip(iv) {
    tip.textContent = "";
    tip.appendChild(el("b", "", iv.frame));
    tip.appendChild(el("span", "when", iv.when));
    tip.appendChild(el("span", "", iv.what));
    tip.classList.add("on");
  }
  function showTip(event, iv) {
    fillTip(iv);
    moveTip(event);
  }
  function showTipAt(node, iv) {
    fillTip(iv);
    var box = node.getBoundingClientRect();
    var x = Math.min(Math.max(8, box.left), window.innerWidth - tip.offsetWidth - 8);
    var y = box.bottom + 8;
    if (y + tip.offsetHeight > window.innerHeight - 8) y = box.top - tip.offsetHeight - 8;
    tip.style.left = Math.max(8, x) + "px";
    tip.style.top = Math.max(8, y) + "px";
  }
  function hideTip() { tip.classList.remove("on"); }
  function moveTip(event) {
    var x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = event.clientY + 18;
    if (y + tip.offsetHeight > window.innerHeight - 8) y = event.clientY - tip.offsetHeight - 12;
    tip.style.left = Math.max(8, x) + "px";
    tip.style.top = y + "px";
  }

  function bar(iv) {
    var node = place(el("li", "interval"), iv.x, iv.w);
    node.style.background = iv.color;
    node.style.color = iv.ink;
    node.dataset.frame = iv.frame;
    node.tabIndex = 0;
    node.setAttribute("aria-label", iv.frame + ", " + iv.when + ": " + iv.what);
    var label = node.appendChild(el("span", "label", iv.frame));
    var what = node.appendChild(el("span", "what", iv.what));
    label.setAttribute("aria-hidden", "true");
    what.setAttribute("aria-hidden", "true");
    node.addEventListener("mouseenter", function (event) { showTip(event, iv); });
    node.addEventListener("mousemove", moveTip);
    node.addEventListener("mouseleave", hideTip);
    node.addEventListener("focus", function () { showTipAt(node, iv); });
    node.addEventListener("blur", hideTip);
    node.addEventListener("keydown", function (event) {
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") next = node.nextElementSibling;
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") next = node.previousElementSibling;
      else if (event.key === "Home") next = node.parentNode.querySelector(".interval");
      else if (event.key === "End") next = node.parentNode.lastElementChild;
      else if (event.key === "Escape") { hideTip(); return; }
      else return;
      event.preventDefault();
      if (next && next.classList.contains("interval")) next.focus();
    });
    return node;
  }

  function table(user) {
    var details = el("details");
    var rows = el("div", "rows");
    var n = user.intervals.length;
    details.appendChild(el("summary", "", n + (n === 1 ? " interval" : " intervals")));
    var tbl = el("table");
    tbl.appendChild(el("caption", "sr-only", "Call routing of " + user.ext + " " + user.name));
    var head = el("tr");
    ["When", "Frame", "What a call does"].forEach(function (h) { head.appendChild(el("th", "", h)); });
    tbl.appendChild(head);
    user.intervals.forEach(function (iv) {
      var row = el("tr");
      row.appendChild(el("td", "when", iv.when));
      var frame = el("td", "frame");
      var dot = el("span", "dot");
      dot.style.background = iv.color;
      frame.appendChild(dot);
      frame.appendChild(document.createTextNode(iv.frame));
      row.appendChild(frame);
      row.appendChild(el("td", "", iv.what));
      tbl.appendChild(row);
    });
    rows.appendChild(tbl);
    details.appendChild(rows);
    return details;
  }

  var cards = [];
  data.users.forEach(function (user) {
    var card = el("section", "user");
    card.dataset.ext = user.ext;
    card.dataset.search = [user.ext, user.name, user.department].join(" ").toLowerCase();
    var title = el("h2");
    title.id = "user-" + user.ext;
    card.setAttribute("aria-labelledby", title.id);
    title.appendChild(el("span", "ext", user.ext));
    title.appendChild(document.createTextNode(user.name));
    if (user.department) title.appendChild(el("span", "note", user.department));
    if (user.note) title.appendChild(el("span", "note", user.note));
    card.appendChild(title);

    var back = el("div", "track");
    back.setAttribute("aria-hidden", "true");
    data.shade.forEach(function (s) { back.appendChild(place(el("div", "shade"), s.x, s.w)); });
    data.ticks.forEach(function (t) { if (t.major) back.appendChild(place(el("div", "grid"), t.x)); });
    var track = el("ul", "track");
    track.style.marginTop = "-48px";
    track.style.background = "transparent";
    track.setAttribute("aria-label", "Timeline of " + user.ext + " " + user.name + ", " + user.intervals.length +
      (user.intervals.length === 1 ? " interval" : " intervals"));
    user.intervals.forEach(function (iv) { track.appendChild(bar(iv)); });
    card.appendChild(back);
    card.appendChild(track);

    var axis = el("div", "axis");
    axis.setAttribute("aria-hidden", "true");
    data.ticks.forEach(function (t) {
      axis.appendChild(place(el("div", "tick" + (t.major ? " major" : ""), t.label), t.x));
    });
    card.appendChild(axis);
    card.appendChild(table(user));
    root.appendChild(card);
    cards.push(card);
  });

  var filter = document.getElementById("filter");
  var shown = document.getElementById("shown");
  function applyFilter() {
    var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    cards.forEach(function (card) {
      var match = words.every(function (w) { return card.dataset.search.indexOf(w) >= 0; });
      card.hidden = !match;
      if (match) count += 1;
    });
    shown.textContent = count + " of " + cards.length + " users shown";
    fit();
  }
  filter.addEventListener("input", applyFilter);
  var fromHash = /(?:^#|&)filter=([^&]*)/.exec(window.location.hash);
  if (fromHash) filter.value = decodeURIComponent(fromHash[1].replace(/\+/g, " "));

  function fit() {
    document.querySelectorAll(".interval").forEach(function (node) {
      node.classList.toggle("tight", node.getBoundingClientRect().width < 34);
    });
  }
  applyFilter();
  window.addEventListener("resize", fit);
})();
"""
