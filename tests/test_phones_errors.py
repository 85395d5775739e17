"""Issue 4: bad phone input ends as one clear message naming the file and line; nothing reaches the PBX."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import run

GOOD = """\
# yaml-language-server: $schema=../../schemas/tenant.schema.json
phones:
  "00:15:65:aa:bb:cc": {model: yealink-t54w, user: "101", blf: ["102"]}
"""


def write_phones(root: Path, text: str) -> Path:
    path = root / "tenants" / "example" / "phones.yaml"
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def plan_fails(expected: list[str]) -> str:
    result = run("plan", "tenants/example")
    assert result.exit_code == 1, result.output
    assert "1 problem(s); nothing was written to the PBX." in result.output, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output, result.output
    # the plan stopped before connecting: the sandbox PBX was not even created
    assert not Path(os.environ["SKYCONF_SANDBOX_DB"]).exists()
    return str(result.output)


def test_the_good_file_plans(workspace: Path) -> None:
    write_phones(workspace, GOOD)
    assert run("validate", "tenants/example").exit_code == 0


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            '"00:15:65:aa:bb:cc"',
            '"00:15:65:zz:bb:cc"',
            "00:15:65:zz",
            "phones.00:15:65:zz:bb:cc: '00:15:65:zz:bb:cc' is not a MAC address",
        ),
        ("model: yealink-t54w", "model: yealink-t99", "yealink-t99", "unknown phone model 'yealink-t99'"),
        ('blf: ["102"]', 'blf: ["102", "199"]', "199", "blf.1: no user extension named '199'"),
        ('blf: ["102"]', 'blf: ["102"], template: nosuch.cfg.j2', "nosuch", "no template 'nosuch.cfg.j2' in templates"),
        ('user: "101"', 'user: "101", lines: ["101"]', "lines", "101 is the phone's own user (line 1)"),
    ],
)
def test_bad_phone_is_one_problem_at_its_line(workspace: Path, old: str, new: str, needle: str, message: str) -> None:
    text = GOOD.replace(old, new)
    write_phones(workspace, text)
    plan_fails([f"tenants/example/phones.yaml:{line_of(text, needle)}:", message])


def test_two_spellings_of_one_mac_name_both_lines(workspace: Path) -> None:
    text = GOOD + '  "00-15-65-AA-BB-CC": {model: polycom-vvx450, user: "102"}\n'
    write_phones(workspace, text)
    output = plan_fails(
        [
            f"tenants/example/phones.yaml:{line_of(text, '00-15-65-AA')}:",
            "MAC 001565aabbcc is already declared as '00:15:65:aa:bb:cc' "
            f"(tenants/example/phones.yaml:{line_of(text, '00:15:65:aa')})",
        ]
    )
    assert output.count("001565aabbcc") == 1


def test_a_mac_one_digit_short_says_so(workspace: Path) -> None:
    text = GOOD.replace('"00:15:65:aa:bb:cc"', "00156511223")
    write_phones(workspace, text)
    plan_fails(["'00156511223' is not a MAC address: 11 hex digits where a MAC has 12"])


def write_template(root: Path, name: str, body: str) -> None:
    (root / "templates" / name).write_text(body)


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("# header\nuser = {{ user.extension }}\nbad = {{ nosuch }}\n", 3, "template: 'nosuch' is undefined"),
        ("a = 1\nb = {{ user.nosuch }}\n", 2, "template: 'dict object' has no attribute 'nosuch'"),
        ("a = 1\n\nb = {{ ''.__class__.__mro__ }}\n", 3, "template refused by the sandbox"),
        ("a = {{ phone.mac.__class__.__subclasses__() }}\n", 1, "template refused by the sandbox"),
        ("a = 1\n{% for x in lines %}\nb = {{ x.extension }\n{% endfor %}\n", 3, "template syntax:"),
        ("a = 1\n{{ fail('at most 2 BLF keys on this phone') }}\n", 2, "at most 2 BLF keys on this phone"),
    ],
)
def test_template_errors_name_the_template_file_and_line(workspace: Path, body: str, line: int, message: str) -> None:
    write_template(workspace, "broken.cfg.j2", body)
    text = GOOD.replace('blf: ["102"]', 'blf: ["102"], template: broken.cfg.j2')
    write_phones(workspace, text)
    output = plan_fails([f"templates/broken.cfg.j2:{line}:1: phones.00:15:65:aa:bb:cc: {message}"])
    assert f"(phone at tenants/example/phones.yaml:{line_of(text, '00:15:65:aa')})" in output


def test_an_included_template_is_blamed_at_its_own_line(workspace: Path) -> None:
    write_template(workspace, "part.cfg.j2", "x = 1\ny = {{ missing_value }}\n")
    write_template(workspace, "outer.cfg.j2", "a = 1\n{% include 'part.cfg.j2' %}\n")
    write_phones(workspace, GOOD.replace('blf: ["102"]', "template: outer.cfg.j2"))
    plan_fails(["templates/part.cfg.j2:2:1:", "'missing_value' is undefined"])


def test_an_xml_template_must_render_well_formed_xml(workspace: Path) -> None:
    write_template(workspace, "bad.xml.j2", '<polycomConfig>\n  <reg reg.1.address="{{ user.extension }}">\n')
    write_phones(workspace, GOOD.replace('blf: ["102"]', "template: bad.xml.j2"))
    plan_fails(["templates/bad.xml.j2:1:1:", "the rendered XML is not well-formed"])
