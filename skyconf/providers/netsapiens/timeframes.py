"""Time frames (domain and user) <-> .../timeframes.

Resolved fields map onto the vendor's entry arrays: weekly ranges become days-of-week entries (two
windows per day per entry), date-time ranges become non-recurring specific-date entries. The frame
type follows from what is there: always, days-of-week, specific-dates, or custom for a mix.
Edits keep the frame's id and name: same type -> replace the entries; another type -> convert, then
replace (a custom frame stays custom, which can hold any entries).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from skyconf.model.timeframes import DAYS, TIME_FRAME
from skyconf.model.users import USER_TIME_FRAME
from skyconf.plan import Change
from skyconf.providers.netsapiens.api import ApiError, segment
from skyconf.providers.netsapiens.base import Context, Mapping
from skyconf.resources import Resource

DAY_NAMES = dict(zip(DAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True))
DOW_ARRAY = "timeframe-days-of-week-array"
DATES_ARRAY = "timeframe-specific-dates-array"
HOLIDAY_ARRAY = "timeframe-holiday-array"
_NOT_CUSTOM = {
    "timeframe-recurrence-custom-interval": "",
    "timeframe-recurrence-custom-interval-count": "",
    "timeframe-recurrence-custom-interval-option": "",
    "timeframe-recurrence-end-option": "never",
    "timeframe-recurrence-end-date": "",
}


class _FrameMapping(Mapping):
    user_scoped: bool

    def _prefix(self, ctx: Context, key: tuple[str, ...]) -> str:
        return f"{ctx.user_path(key[0])}/timeframes" if self.user_scoped else f"{ctx.base}/timeframes"

    async def read(self, ctx: Context) -> list[Resource]:
        if not self.user_scoped:
            return [
                _frame(self.kind, (str(f["timeframe-name"]),), f)
                for f in await ctx.api.get(f"{ctx.base}/timeframes") or []
            ]
        return await ctx.per_user(
            "timeframes",
            lambda ext, frames: [_frame(self.kind, (ext, str(f["timeframe-name"])), f) for f in frames],
            kind=self.kind,
            keep=False,
        )

    async def create(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        kind, arrays = wire_entries(change.after)
        body = {"synchronous": "yes", "timeframe-name": change.key[-1], "timeframe-type": kind, **arrays}
        name = change.key[-1]
        # Answer rules name the frame next: a 202 is waited out until the frame reads back.
        if not await ctx.api.post_new(
            self._prefix(ctx, change.key), body, listed=lambda f: str(f.get("timeframe-name")) == name, settle=True
        ):
            await self._replace_existing(ctx, change)

    async def _replace_existing(self, ctx: Context, change: Change) -> None:
        """A create that met an existing frame of that name (a retried create): update it instead."""
        ctx.api.forget()
        frames = await ctx.api.get(self._prefix(ctx, change.key)) or []
        for f in frames:
            if str(f["timeframe-name"]) == change.key[-1]:
                live = _frame(self.kind, change.key, f)
                await self.update(
                    ctx, Change("update", self.kind, change.key, live.fields, change.after, meta=live.meta)
                )
                return
        raise ApiError("POST", self._prefix(ctx, change.key), 409, "time frame exists but cannot be read")

    async def update(self, ctx: Context, change: Change) -> None:
        assert change.after is not None
        path = f"{self._prefix(ctx, change.key)}/{segment(change.meta['id'])}"
        have, (want, arrays) = change.meta.get("type"), wire_entries(change.after)
        if have == "custom" and want == "always":
            raise ApiError(
                "PUT",
                path,
                400,
                "a custom time frame cannot become 'always' on this PBX; give the always-frame a new name",
            )
        if have not in (want, "custom"):
            await ctx.api.request("PUT", path, json={"timeframe-type" if self.user_scoped else "type": want})
        if want != "always":
            if "custom" in (have, want):
                arrays = {DOW_ARRAY: [], DATES_ARRAY: [], HOLIDAY_ARRAY: [], **arrays}
            await ctx.api.request("PUT", path, json=arrays)

    async def delete(self, ctx: Context, change: Change) -> None:
        path = f"{self._prefix(ctx, change.key)}/{segment(change.meta['id'])}"
        await ctx.api.request("DELETE", path, missing_ok=True)


class TimeFrameMapping(_FrameMapping):
    kind = TIME_FRAME.name
    user_scoped = False


class UserTimeFrameMapping(_FrameMapping):
    kind = USER_TIME_FRAME.name
    user_scoped = True


def wire_entries(fields: dict[str, Any]) -> tuple[str, dict[str, list[dict[str, str]]]]:
    """Resolved fields -> (timeframe-type, entry arrays)."""
    if fields["always"]:
        return "always", {}
    per_day: dict[str, list[tuple[str, str]]] = {}
    for day, start, end in fields["weekly"]:
        per_day.setdefault(day, []).append((start, end))
    dow: list[dict[str, str]] = []
    for index in range((max((len(v) for v in per_day.values()), default=0) + 1) // 2):
        entry: dict[str, str] = {}
        for day, windows in per_day.items():
            for slot, (start, end) in enumerate(windows[index * 2 : index * 2 + 2], start=1):
                entry[f"timeframe-weekly-{DAY_NAMES[day]}-begin-time-{slot}"] = _hhmm(start)
                entry[f"timeframe-weekly-{DAY_NAMES[day]}-end-time-{slot}"] = _hhmm(end)
        if entry:
            dow.append(
                {**entry, "timeframe-recurrence-type": "weekly", "timeframe-recurrence-begin-date": "", **_NOT_CUSTOM}
            )
    dates = [
        {
            "timeframe-specific-dates-begin-date": start[:10].replace("-", ""),
            "timeframe-specific-dates-begin-time": _hhmm(start[11:]),
            "timeframe-specific-dates-end-date": end[:10].replace("-", ""),
            "timeframe-specific-dates-end-time": _hhmm(end[11:]),
            "timeframe-recurrence-type": "doesNotRecur",
            **_NOT_CUSTOM,
        }
        for start, end in fields["dates"]
    ]
    arrays: dict[str, list[dict[str, str]]] = {}
    if dow:
        arrays[DOW_ARRAY] = dow
    if dates:
        arrays[DATES_ARRAY] = dates
    if len(dow) == 1 and not dates:
        return "days-of-week", arrays
    if dates and not dow:
        return "specific-dates", arrays
    return "custom", arrays


def _frame(kind: str, key: tuple[str, ...], item: dict[str, Any]) -> Resource:
    ftype = str(item.get("timeframe-type") or "")
    weekly: list[list[str]] = []
    for entry in item.get(DOW_ARRAY) or []:
        for day, name in DAY_NAMES.items():
            for slot in (1, 2):
                begin = entry.get(f"timeframe-weekly-{name}-begin-time-{slot}")
                end = entry.get(f"timeframe-weekly-{name}-end-time-{slot}")
                if begin and end:
                    weekly.append([day, _hm(begin), _hm(end)])
    dates: list[list[str]] = []
    for entry in item.get(DATES_ARRAY) or []:
        dates.append(
            [
                _date(
                    entry.get("timeframe-specific-dates-begin-date"), entry.get("timeframe-specific-dates-begin-time")
                ),
                _date(entry.get("timeframe-specific-dates-end-date"), entry.get("timeframe-specific-dates-end-time")),
            ]
        )
    for entry in item.get(HOLIDAY_ARRAY) or []:
        # Only the first observance of a portal-made holiday entry is represented.
        day = str(entry.get("timeframe-holiday-begin-date") or "")
        if len(day) == 8:
            dates.append([_date(day, "0000"), _date(day, "2400")])
    weekly.sort(key=lambda row: (DAYS.index(row[0]), row[1]))
    dates.sort()
    fields = {"always": ftype == "always", "weekly": weekly, "dates": dates}
    return Resource(kind, key, fields, meta={"id": str(item.get("timeframe-id")), "type": ftype})


def _hhmm(hm: str) -> str:
    return hm.replace(":", "")


def _hm(hhmm: Any) -> str:
    text = str(hhmm).zfill(4)
    return f"{text[:2]}:{text[2:4]}"


def _date(yyyymmdd: Any, hhmm: Any) -> str:
    day, time = str(yyyymmdd or ""), _hm(hhmm or "0000")
    if time == "24:00":
        next_day = dt.date(int(day[:4]), int(day[4:6]), int(day[6:8])) + dt.timedelta(days=1)
        return f"{next_day.isoformat()} 00:00"
    return f"{day[:4]}-{day[4:6]}-{day[6:8]} {time}"
