"""The two README commands rest on scripts/; check the parts that can be checked quickly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["python.sh", "install.sh", "demo.sh", "test.sh"]


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=30
    )


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_script_is_valid_bash(name: str) -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / "scripts" / name)], capture_output=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["install.sh", "demo.sh", "test.sh"])
def test_runnable_scripts_are_executable_and_strict(name: str) -> None:
    path = ROOT / "scripts" / name
    assert path.stat().st_mode & 0o111
    assert "set -euo pipefail" in path.read_text(encoding="utf-8")


def test_the_demo_links_its_mails_to_the_port_it_serves_on(tmp_path: Path) -> None:
    """Issue 10 item 9: the demo on another port linked to :8000. Runs the lines of demo.sh
    that choose the port and the mail links, as the script itself runs them."""
    lines = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("PORT="))
    chosen = "\n".join(lines[start : start + 3])
    assert "TSUMUGI_SITE_URL" in chosen
    result = bash(
        f'{chosen}\necho "$TSUMUGI_SITE_URL"',
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TSUMUGI_DEMO_PORT": "8123"},
    )
    assert result.stdout.strip() == "http://127.0.0.1:8123"


def test_python_finder_picks_an_interpreter_of_at_least_3_12(tmp_path: Path) -> None:
    result = bash(
        f'source {ROOT}/scripts/python.sh && "$TSUMUGI_PYTHON" -c '
        "'import sys; print(sys.version_info >= (3, 12))'",
        cwd=tmp_path,  # outside the repo, so .python-version does not help
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_python_finder_names_the_version_it_needs_when_there_is_none(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    for name in ["python3", "python3.12", "python3.13"]:
        fake = fake_bin / name
        fake.write_text("#!/bin/sh\nexit 1\n")  # like an old or broken interpreter
        fake.chmod(0o755)
    result = bash(
        f"source {ROOT}/scripts/python.sh",
        cwd=tmp_path,
        env={
            "PATH": f"{fake_bin}:/bin",
            "HOME": str(tmp_path),
            "PYENV_ROOT": str(tmp_path),
            "TSUMUGI_SYSTEM_PYTHONS": "",
        },
    )
    assert result.returncode != 0
    assert "Python 3.12 or newer" in result.stderr


def test_the_readme_quick_start_is_exactly_the_two_scripts() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start")[1].split("##")[0]
    block = quick_start.split("```sh")[1].split("```")[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["./scripts/demo.sh", "./scripts/test.sh"]
