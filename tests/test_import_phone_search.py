"""The phone search of `skyconf import` skips what cannot change its result, and finds the same YAML."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from skyconf import forkmap
from skyconf.importer.phones import _reads_settings_plainly
from skyconf.model.phone_templates import PhoneRenderer
from tests.conftest import portal_edit, run
from tests.test_import import DOMAIN, skyconf_import


def test_a_setting_a_template_reads_only_behind_another_comes_back(workspace: Path) -> None:
    # The Yealink template reads phonebook_name only when phonebook_url is set: the search skips a
    # setting a phone's text does not read, so it must ask again once phonebook_url is found.
    phones = workspace / "tenants" / "example" / "phones.yaml"
    phones.write_text(phones.read_text().replace("phone_settings:\n", "phone_settings:\n  phonebook_name: Acme Book\n"))
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0

    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    imported = (workspace / "tenants" / "imported" / "phones.yaml").read_text()
    settings = imported.split("phone_settings:\n", 1)[1]
    assert "  phonebook_name: Acme Book\n" in settings
    assert '  phonebook_url: "https://provisioning.acme.example.com/phonebook/acme.xml"\n' in settings
    assert "not fully recovered" not in result.output


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("{{ settings.ntp_server }}{% if settings['ldap_url'] is defined %}x{% endif %}", True),
        ("{% for k, v in settings.items() %}{{ k }}{% endfor %}", False),
        ("{{ settings | length }}", False),
        ("{% set s = settings %}{{ s.ntp_server }}", False),
        ("{{ settings[name] }}", False),
        ("{{ settings.asked }}", False),
        ("{% include 'other.cfg.j2' %}", False),
    ],
)
def test_settings_read_other_than_by_name_make_the_search_render_every_candidate(
    tmp_path: Path, source: str, plain: bool
) -> None:
    (tmp_path / "t.cfg.j2").write_text(source)
    (tmp_path / "other.cfg.j2").write_text("{{ settings.ntp_server }}")
    assert _reads_settings_plainly(PhoneRenderer(tmp_path), "t.cfg.j2") is plain


def test_a_phone_whose_text_no_template_renders_still_comes_back(workspace: Path) -> None:
    # Nothing brings a hand-written text closer (no key, setting or template): the phone keeps its
    # model and user, with a note, as it always did.
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    record = portal_edit("GET", f"/domains/{DOMAIN}/phones/000b82445566").json()
    record["device-models-overrides-blob"] = "# written by hand\nhello = world\n"
    assert portal_edit("PUT", f"/domains/{DOMAIN}/phones", record).status_code < 300

    result = skyconf_import("--domain", DOMAIN, "-o", "tenants/imported")
    assert result.exit_code == 0, result.output
    imported = (workspace / "tenants" / "imported" / "phones.yaml").read_text()
    grandstream = '  "00:0b:82:44:55:66":\n    model: grandstream-grp2614\n    user: "103"\n'
    assert imported.endswith(grandstream + "phone_settings:\n  ntp_server: pool.ntp.org\n")
    assert "phone 00:0b:82:44:55:66: its configuration is not fully recovered (18 line(s) differ)" in result.output
    assert "update phone 000b82445566 (config)" in result.output


def test_the_search_on_both_cores_finds_what_it_finds_on_one(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each phone's template and keys are searched in a forked child for half the phones (skyconf.forkmap)
    # once there are enough of them; the example's few phones are made enough, and the files must not change.
    assert run("apply", "tenants/example", "--auto-approve").exit_code == 0
    folder = workspace / "tenants" / "imported"

    def imported() -> dict[str, str]:
        assert skyconf_import("--domain", DOMAIN, "-o", "tenants/imported").exit_code == 0
        files = {p.name: p.read_text() for p in folder.iterdir() if p.is_file()}
        shutil.rmtree(folder)
        return files

    monkeypatch.setattr(forkmap, "MIN_ITEMS", 10**9)
    one = imported()
    forks = []
    monkeypatch.setattr(forkmap, "MIN_ITEMS", 2)
    monkeypatch.setattr(forkmap, "can_fork", lambda: forks.append(1) or True)
    assert imported() == one
    assert len(forks) == 2  # the templates, then the keys
    assert "phones.yaml" in one
