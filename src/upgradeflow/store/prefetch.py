"""Run a generator one step ahead in a background thread.

Reading, decoding and the adapter (all of which release the GIL) then overlap with
encoding and writing the previous batch, while memory stays bounded by ``depth``
batches in flight. The threads come from one long-lived pool: a fresh thread per shard
would get a fresh malloc arena, and the process's peak memory would creep up with the
number of shards.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_DONE = object()
background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="upgradeflow-io")


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((_DONE, None))
        except BaseException as error:  # re-raised in the consumer
            slots.put((_DONE, error))

    worker = background.submit(produce)
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while not worker.done():
            try:
                slots.get_nowait()
            except queue.Empty:
                time.sleep(0.05)
