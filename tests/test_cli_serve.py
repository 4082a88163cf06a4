"""``upgradeflow serve`` as a process: one-line errors, and a running service with a token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tests.serve.helpers import Deployment, free_port
from tests.test_cli import assert_user_error, run

COMMAND = [sys.executable, "-m", "upgradeflow.cli", "serve"]


def test_bad_settings_are_one_line_errors(tmp_path):
    assert_user_error(run("serve", "--root", "ftp://nowhere"), "unsupported store")
    assert_user_error(run("serve", "--root", str(tmp_path), "--max-k", "0"), "--max-k")
    assert_user_error(run("serve", "--root", str(tmp_path), "--token-file", str(tmp_path / "none")), "--token-file")
    assert_user_error(run("serve", "--root", str(tmp_path), "--host", "no-such-host.invalid"), "cannot listen on")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        assert_user_error(run("serve", "--root", str(tmp_path), "--port", port), f"cannot listen on 127.0.0.1:{port}")
    loud = subprocess.run(
        [sys.executable, "-m", "upgradeflow.cli", "serve", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "UPGRADEFLOW_SERVE_LOG_LEVEL": "loud"},
    )
    assert_user_error(loud, "--log-level must be one of")
    for port in ("eighty", "70000", "0"):
        result = run("serve", "--root", str(tmp_path), "--port", port)
        assert result.returncode == 2 and f"a port is an integer from 1 to 65535, got '{port}'" in result.stderr


def test_the_service_process_serves_with_a_token(tmp_path):
    deployment = Deployment(tmp_path)
    deployment.commit("v1", seed=1)
    deployment.build_and_swap("v1")
    port = free_port()
    environment = {**os.environ, "UPGRADEFLOW_SERVE_TOKEN": "t0ken"}
    args = ["--root", str(deployment.store.root), "--gallery", "g", "--index", "g", "--port", str(port)]
    process = subprocess.Popen([*COMMAND, *args], env=environment, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert httpx.get(f"{base}/healthz").json() == {"ok": True}
        assert httpx.get(f"{base}/status").status_code == 401
        status = httpx.get(f"{base}/status", headers={"Authorization": "Bearer t0ken"}).json()
        assert status["index"]["version"] == "v1.flat"
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    switched = [line for line in stderr.splitlines() if '"event": "switched"' in line]
    assert switched and '"index_version": "v1.flat"' in switched[0]  # structured logs, one JSON object a line
