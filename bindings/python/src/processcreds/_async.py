"""asyncio retrieves: :meth:`ProcessProvider.retrieve_async`.

A cached hit is answered on the loop's thread (``pc_retrieve_cached``: nothing runs, nothing
waits). A miss starts ``pc_retrieve_async``: the library runs the helper on its own thread (one
run shared with every other caller of the provider, blocking or not), and its callback, on the
library's callback thread, copies the result and hands it to the awaiting task's loop with
``loop.call_soon_threadsafe``. Cancelling the task cancels the request (``pc_request_cancel``):
when no other caller waits for the run, the helper's process tree is killed.

Pending requests are kept in a table keyed by a number (the ``user_data`` the callback gets
back); the table's lock also guards each request's handle, which the callback frees, so that a
cancel never meets a freed handle. At interpreter exit the requests still pending are cancelled
and their callbacks waited for (briefly), so that no callback enters a finalized interpreter.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import threading
import time
from ctypes import byref
from typing import TYPE_CHECKING, Dict, Optional, Union

from . import _constants as C
from . import _lib
from ._lib import CredentialsPtr, ErrorPtr, RequestPtr

if TYPE_CHECKING:
    from ._provider import Credentials, ProcessProvider

Outcome = Union["Credentials", BaseException]


class _Waiter:
    """A pending request: the task's loop and future, and the request's handle (None once the
    callback has freed it)."""

    __slots__ = ("loop", "future", "request")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[Credentials] = loop.create_future()
        self.request: Optional[RequestPtr] = RequestPtr()


_lock = threading.Lock()
_pending: Dict[int, _Waiter] = {}
_ids = itertools.count(1)


def _settle(waiter: _Waiter, outcome: Outcome) -> None:
    """On the loop's thread: the task gets the result (unless it was cancelled meanwhile)."""
    if waiter.future.done():
        return
    if isinstance(outcome, BaseException):
        waiter.future.set_exception(outcome)
    else:
        waiter.future.set_result(outcome)


def _result(status: int, creds: Optional[int], err: Optional[int]) -> Outcome:
    """The credentials or the exception of a callback; frees the C objects."""
    from ._provider import _credentials_from, _error_from

    if status == C.PC_STATUS_OK:
        h = CredentialsPtr(creds)
        try:
            return _credentials_from(h)
        finally:
            _lib.pc_credentials_free(h)
    return _error_from(status, ErrorPtr(err), "pc_retrieve_async")


def _callback(user_data: Optional[int], status: int, creds: Optional[int], err: Optional[int]) -> None:
    """The library's callback, on its callback thread (with the GIL taken by ctypes)."""
    with _lock:
        waiter = _pending.pop(user_data or 0, None)
        if waiter is not None and waiter.request is not None:
            _lib.pc_request_free(waiter.request)
            waiter.request = None
    try:
        outcome: Outcome = _result(status, creds, err)
    except BaseException as e:  # never into ctypes
        outcome = e
    if waiter is None:
        return
    try:
        waiter.loop.call_soon_threadsafe(_settle, waiter, outcome)
    except RuntimeError:  # the loop was closed: nobody waits any more
        pass


# The C function pointer of `_callback`; kept for the life of the module.
_on_result = _lib.RETRIEVE_CB(_callback)


def _cancel(key: int) -> None:
    """Cancels the request `key` if its callback has not run yet."""
    with _lock:
        waiter = _pending.get(key)
        if waiter is not None and waiter.request is not None:
            _lib.pc_request_cancel(waiter.request)


async def retrieve(provider: ProcessProvider) -> Credentials:
    """:meth:`ProcessProvider.retrieve_async` when nothing valid is cached."""
    handle = provider._live_handle()
    waiter = _Waiter(asyncio.get_running_loop())
    key = next(_ids)
    with _lock:
        _pending[key] = waiter
    assert waiter.request is not None
    # The handle is written before the request starts, so before the callback can run.
    status = int(_lib.pc_retrieve_async(handle, _on_result, key, byref(waiter.request)))
    if status:
        with _lock:
            _pending.pop(key, None)
        from ._provider import _bare_error

        raise _bare_error(status, "pc_retrieve_async")
    try:
        return await waiter.future
    except asyncio.CancelledError:
        _cancel(key)
        raise
    finally:
        # The provider's handle is held until here: the provider is not freed under a request.
        del handle


def _cancel_all_at_exit() -> None:
    with _lock:
        for waiter in _pending.values():
            if waiter.request is not None:
                _lib.pc_request_cancel(waiter.request)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        with _lock:
            if not _pending:
                return
        time.sleep(0.001)


atexit.register(_cancel_all_at_exit)
