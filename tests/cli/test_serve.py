"""``upgradeflow serve`` as a process: one-line errors, and a running service with a token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.cli.test_main import assert_user_error, run
from tests.serve.helpers import Deployment, running_service


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
    for option, value in [("--header-timeout", "0"), ("--body-timeout", "nan"), ("--poll-seconds", "-1")]:
        assert_user_error(run("serve", "--root", str(tmp_path), option, value), f"{option} must be positive and finite")
    for port in ("eighty", "70000", "0"):
        result = run("serve", "--root", str(tmp_path), "--port", port)
        assert result.returncode == 2 and f"a port is an integer from 1 to 65535, got '{port}'" in result.stderr


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at ``port`` (Linux's /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_the_service_process_serves_with_a_token_on_loopback(tmp_path):
    deployment = Deployment(tmp_path)
    deployment.commit("v1", seed=1)
    deployment.build_and_swap("v1")
    with running_service(deployment, env={"UPGRADEFLOW_SERVE_TOKEN": "t0ken"}) as served:
        assert httpx.get(f"{served.base}/healthz").json() == {"ok": True}
        assert httpx.get(f"{served.base}/status").status_code == 401
        status = httpx.get(f"{served.base}/status", headers={"Authorization": "Bearer t0ken"}).json()
        assert status["index"]["version"] == "v1.flat"
        assert _listening_addresses(int(served.base.rsplit(":", 1)[1])) == {"127.0.0.1"}  # no --host: loopback
    log = served.log.read_text()
    switched = [line for line in log.splitlines() if '"event": "switched"' in line]
    assert switched and '"index_version": "v1.flat"' in switched[0]  # structured logs, one JSON object a line
