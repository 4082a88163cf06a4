"""Functions run in separate processes by the concurrency tests (importable for spawn)."""

from __future__ import annotations

import contextlib
import io


def commit_after_barrier(store_uri: str, version: str, barrier, results) -> None:
    """Seal first (slow part), then race the others on the pointer through the CLI."""
    from upgradeflow.cli.main import main
    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    Gallery(open_store(store_uri), "photos").seal(version)
    stderr = io.StringIO()
    barrier.wait()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(["gallery", "commit", "photos", version, "--store", store_uri])
    results.put((version, status, stderr.getvalue().strip()))


def read_live_versions(store_uri: str, stop, results) -> None:
    """Read the whole live version again and again; report what each read saw."""
    import pyarrow.parquet as pq

    from upgradeflow.store.gallery import Gallery
    from upgradeflow.store.location import open_store

    gallery = Gallery(open_store(store_uri), "photos")
    while not stop.is_set():
        version = gallery.resolve(None)
        manifest = gallery.manifest(version)
        models, ids = set(), []
        for index in range(len(manifest["shards"])):
            with gallery.open_shard(version, index) as (path, _):
                table = pq.read_table(path, columns=["id", "model"])
            models |= set(table.column("model").to_pylist())
            ids += table.column("id").to_pylist()
        results.put((version, sorted(models), len(ids), len(set(ids))))


def swap_after_barrier(store_uri: str, name: str, barrier, results) -> None:
    """Read the pointer's token, wait for all, then compare-and-swap against it."""
    from upgradeflow.errors import ConflictError
    from upgradeflow.store.location import open_store
    from upgradeflow.store.pointer import Pointer, read_pointer

    store = open_store(store_uri)
    pointer, token = read_pointer(store, "CURRENT")
    barrier.wait()
    try:
        store.write_if("CURRENT", Pointer([*pointer.history, name]).to_json(), token)
        results.put((name, "won"))
    except ConflictError as error:
        results.put((name, str(error)))


def rollback_after_barrier(command: list[str], barrier, results) -> None:
    """Wait for all, then run one rollback command; report its exit status and stderr."""
    from upgradeflow.cli.main import main

    stderr = io.StringIO()
    barrier.wait()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(command)
        except SystemExit as error:  # argparse refused the command line
            status = error.code
    results.put((status, stderr.getvalue().strip()))


def step_after_barrier(module: str, argv: list[str], barrier, results) -> None:
    """Wait for all, then run one pipeline step's command line; report its exit status and stderr."""
    import importlib

    step = importlib.import_module(module)
    stderr = io.StringIO()
    barrier.wait()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            status = step.main(argv)
    except BaseException as error:  # report it: a worker that dies silently leaves the test waiting
        status = f"raised {error!r}"
    results.put((argv, status, stderr.getvalue().strip()))
