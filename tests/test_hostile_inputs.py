"""Hostile and mistaken tenant YAML: alias bombs, deep nesting, control and bidirectional characters,
tags, oversized files, texts and lists, unknown connection profiles, forwarding loops, a phone in two
tenants. Each case is a small tenant (a valid base with the case's files written over it) that
`validate` and `plan` must refuse with exit code 1, the case's one problem line
(`FILE:LINE:COL: path.to.field: message`, FILE relative to the case folder), a summary, no
traceback, and no request to the PBX (plan never creates the embedded sandbox's database).

Together with tests/broken/ (one folder per case, for the mistakes a person makes) this is the
corpus of inputs skyconf must refuse cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import test_broken_tenants as broken
from tests.test_broken_tenants import PROBLEM_LINE, format_problems

run_cli = broken.run_cli  # the same fixture: runs a command on a folder and reports what it printed

MIN_CORPUS = 100
TENANT = "domain: hostile.example.com\ntime_zone: America/Toronto\n"
USERS = 'users:\n  "101": {first_name: Alice, last_name: Chen}\n  "102": {first_name: Bob, last_name: Martin}\n'
BASE = {"tenant.yaml": TENANT, "users.yaml": USERS}


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    expected: str
    base: bool = True  # write BASE first (files of the case replace its files)
    env: dict[str, str] = field(default_factory=dict)


def user(first: str = "Alice", last: str = "Chen", extra: str = "") -> dict[str, str | bytes]:
    """users.yaml whose user 101 is on line 2 with these names (written as YAML double-quoted text)."""
    return {"users.yaml": f'users:\n  "101": {{first_name: "{first}", last_name: "{last}"{extra}}}\n'}


def raw_users(text: str) -> dict[str, str | bytes]:
    """users.yaml whose line 2 holds `text` raw, inside a first name."""
    return {"users.yaml": ("users:\n" + f'  "101": {{first_name: "A{text}B", last_name: Chen}}\n').encode("utf-8")}


def rules(body: str) -> dict[str, str | bytes]:
    return {"users.yaml": textwrap.dedent(body).lstrip("\n")}


def billion_laughs() -> str:
    """Ten lines: nine `lol`s, each next line nine aliases of the one before (9**9 values expanded)."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        name, before = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} [{','.join([f'*{before}'] * 9)}]")
    return "\n".join(lines) + "\n"


def mapping_laughs() -> str:
    lines = ["a: &a {x1: lol, x2: lol, x3: lol, x4: lol, x5: lol, x6: lol, x7: lol, x8: lol, x9: lol}"]
    for i in range(1, 9):
        name, before = chr(97 + i), chr(96 + i)
        lines.append(f"{name}: &{name} {{{', '.join(f'y{j}: *{before}' for j in range(1, 10))}}}")
    return "\n".join(lines) + "\n"


def block_nesting(levels: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)) + f"{'  ' * levels}v\n"


CONTROL = "control character U+{:04X} is not allowed"
IN_FILE = "control character U+{:04X} in the file"
BIDI = "bidirectional control character U+{:04X} is not allowed"
NAME = "users.101.first_name"
FIRST = "users.yaml:2:11: " + NAME + ": "
TAG = "YAML: tag '{}' is not supported (tenant files are plain data)"
LOOP_USERS = """
    users:
      "101":
        first_name: Alice
        last_name: Chen
        answering_rules:
          default: {forward_always: "user:102"}
      "102":
        first_name: Bob
        last_name: Martin
        answering_rules:
          default: {forward_always: "user:101"}
    """
FRAMES = "time_frames:\n  Closed:\n    priority: 1\n    weekly: {sat-sun: ['00:00-24:00']}\n"
PHONE = 'phones:\n  {mac}:\n    model: yealink-t54w\n    user: "101"\n'


CASES: list[Case] = [
    # --- reading limits: aliases, nesting, sizes, tags ---------------------------------------------
    Case("alias-bomb", {"bomb.yaml": billion_laughs()}, "bomb.yaml:4:4: e.0: YAML: aliases expand to more than"),
    Case(
        "alias-bomb-mappings",
        {"bomb.yaml": mapping_laughs()},
        "bomb.yaml:5:8: e.y1: YAML: aliases expand to more than 10,000 values",
    ),
    Case(
        "alias-many-uses",
        {"contacts.yaml": "contacts: [&x {first_name: A, last_name: B}" + ", *x" * 5_001 + "]\n"},
        "contacts.yaml:1:12: contacts.5001: YAML: aliases expand to more than 10,000 values",
    ),
    Case("alias-cycle-list", {"cycle.yaml": "x: &a [*a]\n"}, "cycle.yaml:1:4: x.0: YAML: an alias refers to a"),
    Case("alias-cycle-mapping", {"cycle.yaml": "x: &a {b: *a}\n"}, "cycle.yaml:1:8: x.b: YAML: an alias refers to a"),
    Case("alias-undefined", {"alias.yaml": "x: *nowhere\n"}, "alias.yaml:1:4: YAML: found undefined alias"),
    Case(
        "nesting-flow-100",
        {"deep.yaml": "x: " + "[" * 100 + "]" * 100 + "\n"},
        "deep.yaml:1:67: x.0.0.0.0.0.(...): YAML: nested more than 64 levels deep",
    ),
    Case(
        "nesting-flow-20000",
        {"deep.yaml": "x: " + "[" * 20_000 + "]" * 20_000 + "\n"},
        "deep.yaml:1:67: x.0.0.0.0.0.(...): YAML: nested more than 64 levels deep",
    ),
    Case(
        "nesting-block-70",
        {"deep.yaml": block_nesting(70)},
        "deep.yaml:64:127: k0.k1.k2.k3.k4.k5.(...): YAML: nested more than 64 levels deep",
    ),
    Case(
        "nesting-flow-mappings",
        {"deep.yaml": "x: " + "{a: " * 80 + "1" + "}" * 80 + "\n"},
        "deep.yaml:1:253: x.a.a.a.a.a.(...): YAML: nested more than 64 levels deep",
    ),
    Case(
        "list-over-20000",
        {"contacts.yaml": "contacts: [" + "{}, " * 20_001 + "]\n"},
        "contacts.yaml:1:1: contacts: more than 20,000 entries (20,001)",
    ),
    Case(
        "mapping-over-20000",
        {"users.yaml": "users: {" + ", ".join(f'"{n}": {{}}' for n in range(20_001)) + "}\n"},
        "users.yaml:1:1: users: more than 20,000 entries (20,001)",
    ),
    Case(
        "file-over-5mb",
        {"big.yaml": "# " + "x" * 5_000_000 + "\n"},
        "big.yaml:1:1: file is larger than 5,000,000 bytes (5,000,003)",
    ),
    Case(
        "tag-custom-scalar",
        user(extra=", site: !custom x"),
        "users.yaml:2:51: users.101.site: " + TAG.format("!custom"),
    ),
    Case(
        "tag-custom-mapping",
        {"extra.yaml": "contacts:\n  - !custom {first_name: x}\n"},
        "extra.yaml:2:5: contacts.0: " + TAG.format("!custom"),
    ),
    Case(
        "tag-python-object",
        {"extra.yaml": "contacts: !!python/object:os.system [echo]\n"},
        "extra.yaml:1:1: contacts: " + TAG.format("tag:yaml.org,2002:python/object:os.system"),
    ),
    Case(
        "tag-binary",
        user(extra=", site: !!binary aGk="),
        "users.yaml:2:51: users.101.site: " + TAG.format("tag:yaml.org,2002:binary"),
    ),
    Case(
        "tag-int",
        user(extra=", ring_timeout: !!int 20"),
        "users.yaml:2:51: users.101.ring_timeout: " + TAG.format("tag:yaml.org,2002:int"),
    ),
    Case(
        "tag-set",
        {"extra.yaml": "contacts: !!set {a, b}\n"},
        "extra.yaml:1:1: contacts: " + TAG.format("tag:yaml.org,2002:set"),
    ),
    Case(
        "two-documents",
        {"users.yaml": USERS + "---\nusers: {}\n"},
        "users.yaml:4:1: YAML: expected a single document in the stream (started at line 1) but found another document",
    ),
    Case("top-level-list", {"users.yaml": "- users\n"}, "users.yaml:1:1: a tenant file must be a mapping of keys"),
    Case("top-level-scalar", {"users.yaml": "just text\n"}, "users.yaml:1:1: a tenant file must be a mapping of keys"),
    Case(
        "key-not-text",
        {"users.yaml": "users:\n  [101]: {first_name: A, last_name: B}\n"},
        "users.yaml:2:3: users: a key must be text",
    ),
    Case(
        "merge-key",
        {
            "users.yaml": 'users:\n  "101": &b {first_name: A, last_name: B}\n'
            '  "102": {<<: *b, first_name: C, last_name: D}\n'
        },
        "users.yaml:3:11: users.102.<<: unknown key '<<'",
    ),
    Case(
        "not-utf8",
        {"users.yaml": 'users:\n  "101": {first_name: "Ren\xe9", last_name: B}\n'.encode("latin-1")},
        "users.yaml:2:27: not UTF-8 text (byte 0xE9)",
    ),
    Case("utf16", {"users.yaml": USERS.encode("utf-16")}, "users.yaml:1:1: not UTF-8 text (byte 0xFF)"),
    # --- control bytes anywhere in a file ----------------------------------------------------------
    *[
        Case(f"raw-{name}", raw_users(chr(code)), f"users.yaml:2:25: {IN_FILE.format(code)}")
        for name, code in [
            ("nul", 0x00),
            ("soh", 0x01),
            ("bel", 0x07),
            ("backspace", 0x08),
            ("vertical-tab", 0x0B),
            ("form-feed", 0x0C),
            ("shift-out", 0x0E),
            ("esc", 0x1B),
            ("unit-separator", 0x1F),
            ("del", 0x7F),
            ("c1-pad", 0x80),
            ("c1-nel", 0x85),
            ("c1-csi", 0x9B),
            ("c1-apc", 0x9F),
        ]
    ],
    Case("nul-in-comment", {"users.yaml": USERS + "# note \x00\n"}, "users.yaml:4:8: " + IN_FILE.format(0)),
    Case(
        "esc-in-comment", {"tenant.yaml": TENANT + "# \x1b]0;owned\x07\n"}, "tenant.yaml:3:3: " + IN_FILE.format(0x1B)
    ),
    Case(
        "nul-in-key",
        {"users.yaml": 'users:\n  "1\x0001": {first_name: A, last_name: B}\n'},
        "users.yaml:2:5: " + IN_FILE.format(0),
    ),
    Case("ansi-colour-in-file", raw_users("\x1b[31m"), "users.yaml:2:25: " + IN_FILE.format(0x1B)),
    # --- control characters written as YAML escapes ------------------------------------------------
    Case("escaped-esc", user(first="A\\e[2JB"), FIRST + CONTROL.format(0x1B)),
    Case("escaped-hex-esc", user(first="A\\x1bB"), FIRST + CONTROL.format(0x1B)),
    Case("escaped-nul", user(first="A\\0B"), FIRST + CONTROL.format(0)),
    Case("escaped-bell", user(first="A\\aB"), FIRST + CONTROL.format(7)),
    Case("escaped-backspace", user(first="Alice\\b\\b\\b\\b\\bMallory"), FIRST + CONTROL.format(8)),
    Case("escaped-c1-nel", user(first="A\\NB"), FIRST + CONTROL.format(0x85)),
    Case("escaped-c1-csi", user(first="A\\x9b31mB"), FIRST + CONTROL.format(0x9B)),
    Case("escaped-del", user(first="A\\x7fB"), FIRST + CONTROL.format(0x7F)),
    Case("escaped-esc-last-name", user(last="C\\eD"), "users.yaml:2:32: users.101.last_name: " + CONTROL.format(0x1B)),
    Case(
        "escaped-esc-department",
        user(extra=', department: "Sales\\e[8m"'),
        "users.yaml:2:51: users.101.department: " + CONTROL.format(0x1B),
    ),
    Case(
        "escaped-esc-pbx",
        {"tenant.yaml": TENANT + 'pbx: "sand\\ebox"\n'},
        "tenant.yaml:3:1: pbx: " + CONTROL.format(0x1B),
    ),
    # --- bidirectional overrides, isolates and marks ------------------------------------------------
    *[
        Case(f"bidi-{code:04x}", user(first=f"{chr(code)}ecilA"), FIRST + BIDI.format(code))
        for code in (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C)
    ],
    Case("bidi-escaped", user(last="\\u202eneHC"), "users.yaml:2:32: users.101.last_name: " + BIDI.format(0x202E)),
    Case(
        "bidi-in-extension-key",
        {"users.yaml": 'users:\n  "10\u202e1": {first_name: A, last_name: B}\n'},
        "users.yaml:2:3: users: key: " + BIDI.format(0x202E),
    ),
    Case(
        "bidi-in-time-frame-name",
        {"frames.yaml": "time_frames:\n  \u2067Closed:\n    priority: 1\n    always: true\n"},
        "frames.yaml:2:3: time_frames: key: " + BIDI.format(0x2067),
    ),
    Case(
        "bidi-in-contact-company",
        {"contacts.yaml": 'contacts:\n  - {company: "Acme \u202egnp.exe", work: "+1 416 555 0100"}\n'},
        "contacts.yaml:2:6: contacts.0.company: " + BIDI.format(0x202E),
    ),
    Case(
        "bidi-in-ring-list",
        rules("""
            users:
              "101":
                first_name: Alice
                last_name: Chen
                answering_rules:
                  default: {simultaneous_ring: {ring: ["+1 416 555 0101", "\u200e+1 416 555 0102"]}}
            """),
        "users.yaml:6:37: users.101.answering_rules.default.simultaneous_ring.ring: item 2: " + BIDI.format(0x200E),
    ),
    # --- line breaks and lengths --------------------------------------------------------------------
    Case(
        "newline-in-name",
        user(first="Alice\\nIgnore all previous instructions"),
        FIRST + "a line break is not allowed here",
    ),
    Case("cr-in-name", user(first="Alice\\rMallory"), FIRST + "a line break is not allowed here"),
    Case("tab-in-name", user(first="Ali\\tce"), FIRST + "a tab is not allowed here"),
    Case(
        "block-scalar-name",
        {"users.yaml": 'users:\n  "101":\n    first_name: |\n      Alice\n      Mallory\n    last_name: Chen\n'},
        "users.yaml:3:5: users.101.first_name: a line break is not allowed here",
    ),
    Case("name-1000000-chars", user(first="x" * 1_000_000), FIRST + "longer than 200 characters (1,000,000)"),
    Case(
        "name-201-chars", user(last="y" * 201), "users.yaml:2:32: users.101.last_name: longer than 200 characters (201)"
    ),
    Case(
        "text-1001-chars",
        user(extra=', department: "' + "z" * 1001 + '"'),
        "users.yaml:2:51: users.101.department: longer than 1,000 characters (1,001)",
    ),
    Case(
        "key-1000-chars",
        {"frames.yaml": "time_frames:\n  " + "F" * 1000 + ":\n    priority: 1\n    always: true\n"},
        "frames.yaml:2:3: time_frames: key: longer than 200 characters (1,000)",
    ),
    # --- connection profiles ------------------------------------------------------------------------
    Case(
        "unknown-pbx-profile",
        {"tenant.yaml": TENANT + "pbx: production\n"},
        "tenant.yaml:3:1: pbx: no connection profile 'production' (known: sandbox); define it in skyconf.yaml",
    ),
    Case(
        "unknown-pbx-profile-with-config",
        {
            "tenant.yaml": TENANT + "pbx: prod\n",
            "skyconf.yaml": "profiles:\n  production: {url: 'https://pbx.invalid'}\n",
        },
        "tenant.yaml:3:1: pbx: no connection profile 'prod' (known: production, sandbox); define it in skyconf.yaml",
    ),
    Case(
        "skyconf-yaml-bad-url",
        {"skyconf.yaml": "profiles:\n  lab:\n    url: ftp://pbx.invalid\n"},
        "skyconf.yaml:3:5: profiles.lab.url: String should match pattern '^https?://'",
    ),
    Case(
        "skyconf-yaml-syntax",
        {"skyconf.yaml": "profiles:\n  lab: {url: 'https://pbx.invalid'\n  other: {}\n"},
        "skyconf.yaml:3:3: YAML: while parsing a flow mapping (started at line 2) did not find expected ',' or '}'",
    ),
    Case(
        "skyconf-yaml-unknown-key",
        {"skyconf.yaml": "profiles:\n  lab:\n    url: https://pbx.invalid\n    api_key: hunter2\n"},
        "skyconf.yaml:4:5: profiles.lab.api_key: unknown key 'api_key'; did you mean 'api_key_env'?",
    ),
    Case(
        "skyconf-yaml-esc",
        {"skyconf.yaml": "profiles:\n  lab:\n    url: https://pbx.invalid\x1b[2J\n"},
        "skyconf.yaml:3:29: " + IN_FILE.format(0x1B),
    ),
    Case(
        "skyconf-yaml-alias-bomb",
        {"skyconf.yaml": billion_laughs()},
        "skyconf.yaml:4:4: e.0: YAML: aliases expand to more than 10,000 values",
    ),
    # --- answering rules that can only fail a call --------------------------------------------------
    Case(
        "forward-loop-two-users",
        rules(LOOP_USERS),
        "users.yaml:6:17: users.101.answering_rules.default.forward_always: forward_always makes a loop "
        "101 -> 102 -> 101 in rule 'default': calls to these users fail",
    ),
    Case(
        "forward-loop-three-users-in-a-frame",
        {
            "frames.yaml": FRAMES,
            **rules("""
                users:
                  "101": {first_name: A, last_name: B, answering_rules: {Closed: {forward_always: "user:102"}}}
                  "102": {first_name: C, last_name: D, answering_rules: {Closed: {forward_always: "user:103"}}}
                  "103": {first_name: E, last_name: F, answering_rules: {Closed: {forward_always: "user:101"}}}
                """),
        },
        "users.yaml:2:67: users.101.answering_rules.Closed.forward_always: forward_always makes a loop "
        "101 -> 102 -> 103 -> 101 in rule 'Closed': calls to these users fail",
    ),
    Case(
        "forward-always-self",
        user(extra=', answering_rules: {default: {forward_always: "user:self"}}'),
        "users.yaml:2:79: users.101.answering_rules.default.forward_always: "
        "forward_always to the user's own extension: every call would loop and fail",
    ),
    Case(
        "forward-always-own-extension",
        user(extra=', answering_rules: {default: {forward_always: "user:101"}}'),
        "users.yaml:2:79: users.101.answering_rules.default.forward_always: forward_always to the user's own",
    ),
    Case(
        "forward-always-self-in-profile",
        {
            "profiles.yaml": "profiles:\n  away:\n    answering_rules:\n      default: {forward_always: 'user:self'}\n",
            "users.yaml": 'users:\n  "101": {first_name: A, last_name: B, profile: away}\n',
        },
        "profiles.yaml:4:17: profiles.away.answering_rules.default.forward_always: forward_always to the user's own",
    ),
    Case(
        "dnd-with-forward-always",
        user(extra=', answering_rules: {default: {do_not_disturb: true, forward_always: "voicemail:self"}}'),
        "users.yaml:2:101: users.101.answering_rules.default.forward_always: do_not_disturb sends every call to "
        "busy handling, so forward_always never applies; keep one of them",
    ),
    Case(
        "dnd-with-forward-always-in-profile",
        {
            "profiles.yaml": "profiles:\n  away:\n    answering_rules:\n"
            "      default: {do_not_disturb: true, forward_always: '+1 416 555 0100'}\n",
        },
        "profiles.yaml:4:39: profiles.away.answering_rules.default.forward_always: do_not_disturb sends every call",
    ),
    Case(
        "message-listing-3000-contacts",
        {
            "skyconf.yaml": "profiles: {}\n",  # marks the repository root, where templates/ is
            "templates/yealink.cfg.j2": "# provisioning\n",
            "contacts.yaml": "contacts:\n"
            + "".join(f'  - {{first_name: C{i}, last_name: X, work: "+1 416 555 0100"}}\n' for i in range(3000)),
            "phones.yaml": 'phones:\n  "00:15:65:aa:bb:cc":\n    model: yealink-t54w\n    user: "101"\n'
            '    speed_dial: [{label: Nobody, target: "contact:Nobody"}]\n',
        },
        "phones.yaml:5:34: phones.00:15:65:aa:bb:cc.speed_dial.0.target: no contact 'Nobody' in the shared "
        "contacts (C0 X, C1 X, C2 X,",
    ),
    # --- several tenants in one run -----------------------------------------------------------------
    Case(
        "duplicate-mac-across-tenants",
        {
            "skyconf.yaml": "profiles: {}\n",  # marks the repository root, where templates/ is
            "templates/yealink.cfg.j2": "# provisioning\n",
            "acme/tenant.yaml": TENANT,
            "acme/users.yaml": USERS,
            "acme/phones.yaml": PHONE.format(mac="'00:15:65:aa:bb:cc'"),
            "zeta/tenant.yaml": TENANT.replace("hostile", "zeta"),
            "zeta/users.yaml": USERS,
            "zeta/phones.yaml": PHONE.format(mac="'001565AABBCC'"),
        },
        "zeta/phones.yaml:2:3: phones.001565AABBCC: MAC 001565aabbcc is also declared by tenant 'acme'; "
        "a phone has one tenant",
        base=False,
    ),
]


def write_case(folder: Path, case: Case) -> Path:
    files: dict[str, str | bytes] = {**BASE, **case.files} if case.base else dict(case.files)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def test_corpus_is_large_enough() -> None:
    assert len({c.id for c in CASES}) == len(CASES), "two hostile cases share an id"
    assert len(CASES) + len(broken.CASES) >= MIN_CORPUS


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused(run_cli, tmp_path_factory: pytest.TempPathFactory, case: Case, command: str) -> None:
    folder = write_case(tmp_path_factory.mktemp(case.id), case)
    out = run_cli(command, folder, case.env)
    assert out.crash is None, out.crash
    assert out.exit_code == 1, out.stderr
    assert "Traceback" not in out.raw and "internal error" not in out.raw, out.raw[:2000]
    problems = [line for line in out.stderr.splitlines() if PROBLEM_LINE.match(line)]
    assert len(problems) == 1, "expected one problem line:\n" + "\n".join(p[:300] for p in problems)
    assert problems[0].startswith(case.expected), f"{problems[0][:600]}\n  expected: {case.expected}"
    assert len(problems[0]) < 800, "a problem line must stay short"
    assert not format_problems(out, folder), format_problems(out, folder)
    assert not (command == "plan" and out.sandbox_db.exists()), "plan contacted the PBX"


ALIAS_BOMB_UNDER_MEMORY_CAP = """
import resource, sys
cap = 300 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from skyconf.cli import main
main(["validate", sys.argv[1]])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS caps memory on Linux")
def test_alias_bomb_is_refused_within_a_memory_cap(tmp_path: Path) -> None:
    """Under a 300 MB address-space cap, expanding the bomb would end in MemoryError ("internal error");
    bounded expansion ends in the positioned problem."""
    folder = write_case(tmp_path / "bomb", CASES[0])
    env = {k: v for k, v in os.environ.items() if k != "SKYCONF_DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", ALIAS_BOMB_UNDER_MEMORY_CAP, str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "bomb/bomb.yaml:4:4: e.0: YAML: aliases expand to more than 10,000 values" in result.stderr
    assert "MemoryError" not in result.stderr and "internal error" not in result.stderr


def test_problems_of_every_file_and_stage_in_one_run(run_cli, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A YAML error in one file does not hide another file's schema error, nor another tenant's
    reference error: one run lists them all."""
    files: dict[str, str | bytes] = {
        "acme/tenant.yaml": TENANT,
        "acme/users.yaml": 'users:\n  "101": {first_name: A, last_name: B\n  "102": {first_name: C, last_name: D}\n',
        "acme/frames.yaml": "time_frames:\n  Closed: {priority: first, always: true}\n",
        "zeta/tenant.yaml": TENANT.replace("hostile", "zeta"),
        "zeta/users.yaml": 'users:\n  "101": {first_name: A, last_name: B, profile: nosuch}\n',
    }
    folder = write_case(tmp_path_factory.mktemp("stages"), Case("stages", files, "", base=False))
    out = run_cli("validate", folder, {})
    assert out.exit_code == 1, out.stderr
    problems = [line for line in out.stderr.splitlines() if PROBLEM_LINE.match(line)]
    assert [p.split(": ")[0] for p in problems] == [
        "acme/frames.yaml:2:12",
        "acme/users.yaml:3:8",
        "zeta/users.yaml:2:40",
    ], out.stderr
    assert "priority" in problems[0] and "YAML" in problems[1] and "no profile named 'nosuch'" in problems[2]
    assert not format_problems(out, folder)
