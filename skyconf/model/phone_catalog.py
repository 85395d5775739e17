"""The phone models skyconf ships templates for, and how a YAML `model:` names one.

The PBX's list of provisionable models is fixed per PBX, so a tenant is checked twice: offline
against this small catalogue (the families under `templates/`), and at plan time against the PBX's
own list (by the provider).

A model is written as brand and model in any spelling: `yealink-t54w`, `Yealink T54W`, `T54W`,
`poly-vvx450` and `Polycom VVX 450` all name one model. The canonical spelling is the PBX's
"brand model" text (`Yealink T54W`), which is what plans show and what the PBX stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Family -> the template its phones use unless `template:` says otherwise.
FAMILY_TEMPLATES = {
    "yealink": "yealink.cfg.j2",
    "polycom": "polycom.xml.j2",
    "grandstream": "grandstream.cfg.j2",
}
# A provisioned phone binds at most this many lines.
MAX_LINES = 8


@dataclass(frozen=True)
class PhoneModel:
    brand: str
    model: str
    family: str
    # SIP accounts (lines) the phone can register.
    accounts: int
    # Keys bound to the accounts before any free key (Grandstream's fixed VPKs); 0 where the
    # template numbers keys on its own.
    fixed_keys: int = 0

    @property
    def brand_model(self) -> str:
        return f"{self.brand} {self.model}"

    @property
    def id(self) -> str:
        """The spelling the docs use: `yealink-t54w`, `polycom-edge-e450`."""
        return re.sub(r"[^a-z0-9]+", "-", self.brand_model.lower()).strip("-")


def _yealink(model: str, accounts: int) -> PhoneModel:
    return PhoneModel("Yealink", model, "yealink", accounts)


def _polycom(model: str, accounts: int) -> PhoneModel:
    return PhoneModel("Polycom", model, "polycom", accounts)


def _grandstream(model: str, accounts: int, fixed_keys: int) -> PhoneModel:
    return PhoneModel("Grandstream", model, "grandstream", accounts, fixed_keys)


CATALOG: tuple[PhoneModel, ...] = (
    # Yealink T4x / T5x
    _yealink("T41S", 6),
    _yealink("T42S", 12),
    _yealink("T46S", 16),
    _yealink("T48S", 16),
    _yealink("T41U", 6),
    _yealink("T42U", 12),
    _yealink("T43U", 12),
    _yealink("T46U", 16),
    _yealink("T48U", 16),
    _yealink("T53", 12),
    _yealink("T53W", 12),
    _yealink("T54W", 16),
    _yealink("T57W", 16),
    _yealink("T58W", 16),
    # Poly (Polycom) VVX and Edge E; UC Software XML configuration
    _polycom("VVX 250", 4),
    _polycom("VVX 350", 6),
    _polycom("VVX 450", 12),
    _polycom("Edge E350", 8),
    _polycom("Edge E450", 8),
    # Grandstream GRP261x (firmware 1.0.5.x configuration template: fixed VPKs per model). The
    # GRP2612W is left out: it takes P-values only through its web page, not from a config server.
    _grandstream("GRP2613", 3, 4),
    _grandstream("GRP2614", 4, 4),
    _grandstream("GRP2615", 5, 5),
    _grandstream("GRP2616", 6, 6),
)


def compact(text: str) -> str:
    """Letters and digits only, lower case; `poly` stands for `polycom`."""
    value = re.sub(r"[^a-z0-9]", "", text.lower())
    if value.startswith("poly") and not value.startswith("polycom"):
        value = "polycom" + value[len("poly") :]
    return value


_BY_NAME: dict[str, PhoneModel] = {compact(m.brand_model): m for m in CATALOG}
_BY_MODEL: dict[str, list[PhoneModel]] = {}
for _m in CATALOG:
    _BY_MODEL.setdefault(compact(_m.model), []).append(_m)


def find_model(text: str) -> PhoneModel | None:
    """The catalogue entry a YAML or PBX spelling names (brand + model, or a model alone if unique)."""
    key = compact(text)
    if key in _BY_NAME:
        return _BY_NAME[key]
    alone = _BY_MODEL.get(key, [])
    return alone[0] if len(alone) == 1 else None


def model_ids() -> list[str]:
    return [m.id for m in CATALOG]
