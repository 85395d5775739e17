"""The wheel carries what a tenants repository needs: templates, schema, the scaffold (workflows as files, not
links), the license and classifiers; and a repository can be started from the wheel alone."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {result.stderr[-500:]}")
    (built,) = out.glob("skyconf-*.whl")
    return built


def test_the_wheel_holds_templates_schema_scaffold_and_license(wheel: Path) -> None:
    version = next(
        line.split('"')[1]
        for line in (REPO / "pyproject.toml").read_text().splitlines()
        if line.startswith("version = ")
    )
    assert wheel.name == f"skyconf-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for template in (REPO / "templates").glob("*.j2"):
            assert z.read(f"skyconf/templates/{template.name}") == template.read_bytes()
        assert z.read("skyconf/schemas/tenant.schema.json") == (REPO / "schemas/tenant.schema.json").read_bytes()
        for name in ("plan", "apply", "drift"):
            shipped = z.read(f"skyconf/scaffold/files/workflows/{name}.yml")
            assert shipped == (REPO / ".github/workflows" / f"{name}.yml").read_bytes()
        assert z.read("skyconf/scaffold/files/requirements-lock.txt") == (REPO / "requirements-lock.txt").read_bytes()
        assert "skyconf/py.typed" in names
        info = f"skyconf-{version}.dist-info"
        assert z.read(f"{info}/LICENSE").startswith(b"\n                                 Apache License")
        metadata = z.read(f"{info}/METADATA").decode()
    assert "Classifier: License :: OSI Approved :: Apache Software License" in metadata
    assert "Classifier: Programming Language :: Python :: 3.11" in metadata
    assert "License: Apache-2.0" in metadata


def test_a_repository_started_from_the_wheel_alone_validates(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(unpacked)
    assert not (unpacked / "skyconf" / "templates").is_symlink()
    env = {**os.environ, "PYTHONPATH": str(unpacked), "STARTER_101_VM_PIN": "2580"}

    def skyconf(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "import sys; from skyconf.cli import main; sys.exit(main())", *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    probe = skyconf("--help")
    assert probe.returncode == 0, probe.stderr
    assert skyconf("init", "repo").returncode == 0
    validated = skyconf("validate", "repo/tenants")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "phone templates: shipped with skyconf (starter)" in validated.stdout
    where = subprocess.run(
        [sys.executable, "-c", "import skyconf; print(skyconf.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(unpacked))  # the wheel's files, not the work tree's
    assert (tmp_path / "repo" / ".github" / "workflows" / "plan.yml").read_bytes() == (
        REPO / ".github" / "workflows" / "plan.yml"
    ).read_bytes()


def test_the_sdist_holds_the_files_not_links(tmp_path: Path) -> None:
    """A wheel built from the sdist (what `python -m build` does) must get the files too."""
    code = f"from setuptools import build_meta; print(build_meta.build_sdist({str(tmp_path)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.skip(f"cannot build an sdist here: {result.stderr[-500:]}")
    with tarfile.open(tmp_path / result.stdout.strip().splitlines()[-1]) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
    for name in (
        "skyconf/templates/yealink.cfg.j2",
        "skyconf/schemas/tenant.schema.json",
        "skyconf/scaffold/files/workflows/plan.yml",
        "skyconf/scaffold/files/requirements-lock.txt",
        "LICENSE",
    ):
        assert members[name].isfile(), name
