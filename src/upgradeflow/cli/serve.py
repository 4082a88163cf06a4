"""``upgradeflow serve``: the query service over a store's live gallery and index."""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from upgradeflow.cli.args import add_store
from upgradeflow.errors import UserInputError

TOKEN_ENV = "UPGRADEFLOW_SERVE_TOKEN"
LOG_LEVELS = ("debug", "info", "warning", "error")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"UPGRADEFLOW_SERVE_{name}", default)


def _token(args: argparse.Namespace) -> str | None:
    if args.token_file is not None:
        try:
            return args.token_file.read_text().strip()
        except OSError as error:
            raise UserInputError(f"--token-file {args.token_file}: {error.strerror}") from None
    return os.environ.get(TOKEN_ENV) or None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is an integer from 1 to 65535, got '{text}'")
    return port


def _check_listen(host: str, port: int) -> None:
    """Bind once before loading anything, so a taken port or an unknown host is one line
    and exit status 2, not the server's own log and status."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise UserInputError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from upgradeflow.serve.connections import MAX_HEADER_BYTES, with_header_deadline
    from upgradeflow.serve.logs import configure_logging
    from upgradeflow.serve.requests import Limits
    from upgradeflow.serve.service import ServeSettings, build_service
    from upgradeflow.store.location import open_store

    if args.log_level not in LOG_LEVELS:  # the variable's value bypasses argparse's choices
        raise UserInputError(f"--log-level must be one of {', '.join(LOG_LEVELS)}, got '{args.log_level}'")
    settings = ServeSettings(
        gallery=args.gallery,
        index=args.index,
        model=args.model,
        poll_seconds=args.poll_seconds,
        retry_seconds=args.retry_seconds,
        limits=Limits(args.max_k, args.max_batch, args.max_body_bytes, args.body_timeout),
        token=_token(args),
        search_threads=args.search_threads,
        header_seconds=args.header_timeout,
    )
    store = open_store(args.store, endpoint_url=args.endpoint_url)
    _check_listen(args.host, args.port)
    configure_logging(args.log_level)
    app, live = build_service(store, settings)
    live.start()
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            http=with_header_deadline(settings.header_seconds),
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            log_config=None,  # its loggers write through configure_logging's JSON lines
            log_level="warning",
            access_log=False,
        )
    finally:
        live.stop()
    return 0


def add_serve_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "serve",
        help="the query service: search the live index, follow swaps and rollbacks, merge during a backfill",
        description="Settings also come from UPGRADEFLOW_SERVE_<NAME> variables (e.g. UPGRADEFLOW_SERVE_PORT); "
        f"the optional bearer token from ${TOKEN_ENV} or --token-file.",
    )
    add_store(p, "--root")
    p.add_argument("--gallery", default=_env("GALLERY", "glyphs"), help="gallery name (default: glyphs)")
    p.add_argument("--index", default=_env("INDEX", "glyphs"), help="index name (default: glyphs)")
    p.add_argument(
        "--model",
        default=_env("MODEL", "") or None,
        help="query model for raw images: models:/NAME@ALIAS or a checkpoint",
    )
    p.add_argument("--host", default=_env("HOST", "127.0.0.1"), help="address to listen on (default: loopback only)")
    p.add_argument("--port", type=_port, default=_env("PORT", "8000"))
    p.add_argument("--poll-seconds", type=float, default=_env("POLL_SECONDS", "2"))
    p.add_argument("--retry-seconds", type=float, default=_env("RETRY_SECONDS", "30"), help="retry a failed load after")
    p.add_argument("--max-k", type=int, default=_env("MAX_K", "1000"))
    p.add_argument("--max-batch", type=int, default=_env("MAX_BATCH", "64"), help="queries per request")
    p.add_argument("--max-body-bytes", type=int, default=_env("MAX_BODY_BYTES", str(1 << 20)))
    p.add_argument(
        "--header-timeout",
        type=float,
        default=_env("HEADER_TIMEOUT", "10"),
        help="seconds for a request's headers to arrive, from connecting or the previous response",
    )
    p.add_argument(
        "--body-timeout", type=float, default=_env("BODY_TIMEOUT", "30"), help="seconds for a request's body to arrive"
    )
    p.add_argument("--search-threads", type=int, default=_env("SEARCH_THREADS", "1"), help="FAISS threads per search")
    p.add_argument("--token-file", type=Path, help=f"bearer token file (default: ${TOKEN_ENV})")
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "info"), choices=LOG_LEVELS)
    p.set_defaults(func=cmd_serve)
