"""Reading and writing an export at the same time: the database in one thread, the file in another.

Reading rows from the database needs the interpreter (the driver builds Python objects);
converting and writing them is Arrow's C++ (pyarrow releases the interpreter lock meanwhile).
So an export reads chunk n + 1 while a worker thread converts and writes chunk n. The queue
between them holds at most `QUEUE_DEPTH` chunks, which keeps memory flat.

The reading stays in the caller's thread on purpose: a SQLite connection belongs to the thread
that opened it, and the export's consistent snapshot is that connection's transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from queue import Queue
from typing import TypeVar

T = TypeVar("T")

#: Chunks waiting to be written at most; with the one being written and the one being read,
#: three chunks are in memory at a time.
QUEUE_DEPTH = 1
_DONE = object()


def consume_in_background(items: Iterable[T], consume: Callable[[T], None]) -> None:
    """Call ``consume(item)`` for every item, in order, in a worker thread.

    ``items`` is iterated in the calling thread. An error on either side stops both; the
    first error is raised here, after the worker has finished.
    """
    queue: Queue[object] = Queue(maxsize=QUEUE_DEPTH)
    failures: list[BaseException] = []

    def work() -> None:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if failures:
                continue  # keep draining, so the reader never blocks on a full queue
            try:
                consume(item)  # type: ignore[arg-type]
            except BaseException as error:  # handed to the calling thread, raised there
                failures.append(error)

    worker = threading.Thread(target=work, name="netfund-export-writer", daemon=True)
    worker.start()
    try:
        for item in items:
            if failures:
                break
            queue.put(item)
    finally:
        queue.put(_DONE)
        worker.join()
    if failures:
        raise failures[0]
