"""Objects alive before a report is built are left out of the garbage collector's full passes.

Building and rendering a report allocates millions of small container objects (pandas
internals, ~10^5 per figure in matplotlib). Python's cyclic collector then runs one or two
full collections per report, and a full collection walks every tracked object in the
process: with the loaded data and its results that is ~300,000 objects, 0.1-0.25 s CPU
each on the sample (measured with ``gc.callbacks``: 0.23-0.55 s of collection per report,
0.07-0.10 s with the data frozen; docs/scale.md). Nothing that existed before the report can
become garbage because of it, so :func:`frozen_heap` moves those objects to the permanent
generation (``gc.freeze``) for the duration and back afterwards (``gc.unfreeze``): the
collector still collects everything the report allocates, and the output is unchanged.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["frozen_heap"]


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Context manager: ``gc.freeze()`` on entry, ``gc.unfreeze()`` on exit.

    Does nothing when the collector is off or objects are already frozen (by the caller
    or an outer call), so a caller's own freeze is never undone.

    Examples
    --------
    >>> import gc
    >>> with frozen_heap():
    ...     inside = gc.get_freeze_count() > 0
    >>> inside, gc.get_freeze_count()
    (True, 0)
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
