"""Sandbox dialects: where real PBXs differ in what they accept, as plain data.

``standard`` accepts what the vendor's spec and examples write; ``legacy`` is a PBX that differs where the
evidence conflicts (clients written against live servers), so a client configured for the other one sees
its writes refused or silently ignored:

- conferences: ``standard`` takes the spec example's object with ``conference`` and the one-item array with
  ``aor``; ``legacy`` only the array (an object body is a 400).
- time-frame update in place: ``standard`` takes ``update-only`` or ``update_only``; ``legacy`` only
  ``update_only``. The other spelling is an unknown key there, ignored like any unknown key, so the PUT
  *replaces* the entries instead of merging them (what a real server that does not know the key does).
- user fields: ``legacy`` spells two of them as live-server clients read them
  (``voicemail-playback-announce-date-time-received``, ``directory-annouce-in-dial-by-name-enabled``); the
  spec's spellings are unknown there and ignored (the write answers 202 and reads back unchanged).
- auto attendant forward targets: ``legacy`` knows only ``aa_<name>``; ``attendant_<ext>`` and
  ``<did>_attendant_<ext>`` are a 400 there.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Dialect:
    name: str
    conference_bodies: frozenset[str] = frozenset({"object", "array"})
    update_only_keys: tuple[str, ...] = ("update-only", "update_only")
    # spec user field name -> the name this PBX uses for it
    user_field_names: dict[str, str] = field(default_factory=dict)
    attendant_target_forms: frozenset[str] = frozenset({"aa_name", "attendant_ext", "did_attendant_ext"})


STANDARD = Dialect(
    "standard",
    user_field_names={"directory-announce-in-dial-by-name-enabled": "directory-annouce-in-dial-by-name-enabled"},
)
LEGACY = Dialect(
    "legacy",
    conference_bodies=frozenset({"array"}),
    update_only_keys=("update_only",),
    user_field_names={
        "voicemail-playback-announce-datetime-received": "voicemail-playback-announce-date-time-received",
        "directory-announce-in-dial-by-name-enabled": "directory-annouce-in-dial-by-name-enabled",
    },
    attendant_target_forms=frozenset({"aa_name"}),
)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (STANDARD, LEGACY)}


def get(name: str) -> Dialect:
    """The dialect called ``name``; a ValueError naming the known ones otherwise."""
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown sandbox dialect {name!r}; known: {', '.join(DIALECTS)}") from None
