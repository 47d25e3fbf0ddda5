"""Run renders in worker processes with hard time and memory limits.

CairoSVG cannot be interrupted by a signal, and a hostile or huge document can
make it burn CPU for seconds or allocate gigabytes (docs/rendering.md). So
renders run in a small pool of long-lived worker processes:

- each task runs under an address-space limit (RLIMIT_AS) and a CPU-time limit
  (RLIMIT_CPU, set relative to the CPU the worker has already used, so it is a
  per-render budget), both set inside the worker just before the render;
- the caller keeps a wall-clock deadline and kills the worker (SIGKILL) when it
  passes; a worker that dies for any reason is replaced;
- workers are forked from a forkserver that has already imported the render
  pipeline (never plain fork from the threaded web process), and warm their font
  caches before their first task, so a render pays no import or start-up cost.

Besides renders, the workers validate uploaded fonts (`inspect_font`): fontTools
parses untrusted tables and decompresses WOFF/WOFF2, which a hostile file can
turn into minutes of CPU or gigabytes of memory, so it gets the same limits and
never runs in the web process.

The pool is created lazily, once per process (gunicorn workers each get their
own), and stopped at interpreter exit. `RENDER_IN_PROCESS` bypasses it. As with
any forkserver or spawn user, a new worker imports the parent's main script as
`__mp_main__`: it must be import-safe (gunicorn, manage.py and pytest are).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import math
import multiprocessing
import multiprocessing.forkserver
import os
import pickle
import queue
import resource
import signal
import threading
import time
import traceback
from dataclasses import dataclass

from django.conf import settings

from templates_app import rendering
from templates_app.elements import clean_elements

logger = logging.getLogger(__name__)

# A worker is replaced after this many renders, which bounds the slow growth of
# font caches and heap fragmentation over its life.
RECYCLE_AFTER_RENDERS = 500
# Once the wall-clock deadline has passed, give a dying worker this long to be reaped.
_REAP_SECONDS = 2.0
_OK, _ERROR, _STARTED = "ok", "error", "started"

# Rendered once by every new worker so its first real task finds fonts loaded.
_WARM_UP_DOCUMENT = {
    "width": 160,
    "height": 60,
    "background": "#ffffff",
    "elements": clean_elements(
        [
            {
                "name": f"warm{weight}",
                "type": "text",
                "width": 160,
                "height": 30,
                "text": "Warm up 0123",
                "font_size": 20,
                "font_weight": weight,
            }
            for weight in (400, 700)
        ]
    ),
}


@dataclass(frozen=True)
class Budget:
    """Per-render limits: wall-clock and CPU seconds, and bytes of address space per worker."""

    seconds: float
    memory_bytes: int

    @classmethod
    def from_settings(cls) -> Budget:
        return cls(
            seconds=float(getattr(settings, "RENDER_TIMEOUT_SECONDS", 20)),
            memory_bytes=int(getattr(settings, "RENDER_MEMORY_MB", 1024)) * 1024 * 1024,
        )

    def too_slow(self) -> str:
        return f"The render took longer than {self.seconds:g} s."

    def too_big(self) -> str:
        megabytes = self.memory_bytes / (1024 * 1024)
        size = f"{megabytes / 1024:g} GB" if megabytes >= 1024 else f"{megabytes:g} MB"
        return f"The render needed more than {size} of memory."


def run_render(
    document: dict,
    *,
    fmt: str,
    scale: float,
    quality: int,
    watermark: bool,
) -> rendering.RenderResult:
    """rendering.render in a worker process under the time and memory budgets; same result and errors.

    A render over budget, or whose worker dies, raises RenderError(code="render_failed").
    """
    options = {"fmt": fmt, "scale": scale, "quality": quality, "watermark": watermark}
    if getattr(settings, "RENDER_IN_PROCESS", False):
        return rendering.render(document, **options)
    return _get_pool().run(_RENDER, (document, options), Budget.from_settings())


def inspect_font(data: bytes) -> dict:
    """rendering.inspect_font (validate an uploaded font, read its names, unpack WOFF/WOFF2) in a
    worker under the render budgets.

    Raises RenderError(code="invalid_font") for a bad font and for one that exceeds the
    budgets or kills its worker (a hostile file); PoolBusy when no worker is free.
    """
    if getattr(settings, "RENDER_IN_PROCESS", False):
        return rendering.inspect_font(data)
    budget = Budget.from_settings()
    try:
        return _get_pool().run(_FONT, bytes(data), budget)
    except PoolBusy:
        raise
    except rendering.RenderError as exc:
        if exc.code == "invalid_font":
            raise
        # Over the budget or a dead worker: the file is what costs that much.
        message = f"The font could not be validated within the server's limits ({exc.message})"
        raise rendering.RenderError(message, code="invalid_font") from None


class PoolBusy(rendering.RenderError):
    """Every worker stayed busy for longer than a caller waits (raised in the calling process)."""


# --- the worker process ---------------------------------------------------------


def _worker_main(conn) -> None:
    """Loop in a worker: receive a task, acknowledge it, render under the limits, reply."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group; the parent stops us
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    try:
        rendering.render(_WARM_UP_DOCUMENT, fmt="png", scale=1.0, quality=90, watermark=False)
    except Exception:
        logger.exception("Render worker warm-up failed")
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        if task is None:
            return
        conn.send((_STARTED,))
        kind, payload, budget = task
        reply = _run_task(kind, payload, budget)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        if reply[2]:  # asked to be replaced
            return


def _set_soft_limit(kind: int, value: int) -> None:
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


_RENDER, _FONT = "render", "font"


def _render(payload: tuple[dict, dict]) -> rendering.RenderResult:
    document, options = payload
    return rendering.render(document, **options)


# The job kinds a worker runs, each a function of one picklable payload.
_JOBS = {_RENDER: _render, _FONT: rendering.inspect_font}


def _run_task(kind: str, payload: object, budget: Budget) -> tuple[str, object, bool]:
    """Run one job under the budget: (status, result or error, whether this worker should stop)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # RLIMIT_CPU counts the whole life of the process: set it relative to what is used.
    _set_soft_limit(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime + budget.seconds))
    _set_soft_limit(resource.RLIMIT_AS, budget.memory_bytes)
    try:
        return _OK, _JOBS[kind](payload), False
    except Exception as exc:
        # Lift the limit so the reply itself can be built. After a failed allocation or
        # an unexpected error the worker stops: its heap or a library may be in a bad state.
        _set_soft_limit(resource.RLIMIT_AS, resource.RLIM_INFINITY)
        if _caused_by_memory(exc):
            return _ERROR, rendering.RenderError(budget.too_big()), True
        if isinstance(exc, rendering.RenderError):
            return _ERROR, _portable_render_error(exc), False
        exc.add_note("In the render worker:\n" + traceback.format_exc())
        return _ERROR, _portable_exception(exc), True
    finally:
        _set_soft_limit(resource.RLIMIT_AS, resource.RLIM_INFINITY)


def _caused_by_memory(exc: BaseException | None) -> bool:
    """Whether a MemoryError is anywhere in the exception's cause/context chain.

    The pipeline wraps failures in RenderError (sometimes `from None`), but the
    original MemoryError stays reachable through __cause__ or __context__.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, MemoryError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _portable_render_error(exc: rendering.RenderError) -> rendering.RenderError:
    """The error itself if it survives pickling with its fields, else a plain RenderError with them."""
    try:
        copy = pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own bytes)
        if (copy.code, copy.message, copy.element) == (exc.code, exc.message, exc.element):
            return exc
    except Exception:  # noqa: S110 (a subclass that cannot be rebuilt falls back below)
        pass
    return rendering.RenderError(exc.message, code=exc.code, element=exc.element)


def _portable_exception(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own bytes)
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}\n" + "".join(getattr(exc, "__notes__", [])))


# --- the pool, in the calling process ---------------------------------------------


class _DeadlinePassed(Exception):
    pass


class _WorkerDied(Exception):
    def __init__(self, exitcode: int | None, started: bool) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode
        self.started = started


class _Worker:
    def __init__(self, context) -> None:
        self.conn, child_conn = context.Pipe(duplex=True)
        self.process = context.Process(target=_worker_main, args=(child_conn,), name="imagior-render", daemon=True)
        self.process.start()
        child_conn.close()  # so the worker's death reads as EOF here
        self.renders = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, kind: str, payload: object, budget: Budget) -> tuple:
        """Send a task and wait for its reply until the deadline; raises _DeadlinePassed or _WorkerDied."""
        deadline = time.monotonic() + budget.seconds
        started = False
        try:
            self.conn.send((kind, payload, budget))
            while True:
                if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise _DeadlinePassed  # not TimeoutError: that is an OSError, caught below
                reply = self.conn.recv()
                if reply[0] != _STARTED:
                    self.renders += 1
                    return reply
                started = True
        except (EOFError, OSError):
            raise _WorkerDied(self._reap(), started) from None

    def _reap(self) -> int | None:
        self.process.join(_REAP_SECONDS)
        return self.process.exitcode

    def stop(self, *, kill: bool = False) -> None:
        """Stop the worker: SIGKILL at once with `kill`, else ask it to leave and kill if it lingers."""
        if not kill:
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(0.5)
        if self.process.exitcode is None:
            with contextlib.suppress(OSError):
                self.process.kill()
            self.process.join(_REAP_SECONDS)
        self.conn.close()
        with contextlib.suppress(ValueError):
            self.process.close()


class _Pool:
    """A fixed number of worker slots; each caller borrows one worker for one render."""

    def __init__(self, size: int) -> None:
        self.pid = os.getpid()
        self.size = size
        self._context = multiprocessing.get_context("forkserver")
        # Imported once in the forkserver; every worker forked from it starts with the pipeline loaded.
        self._context.set_forkserver_preload(["templates_app.render_runner"])
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self.closed = False
        for _ in range(size):
            self._idle.put(self._start_or_none())

    def _start_or_none(self) -> _Worker | None:
        # A failed start leaves an empty slot, which the next borrower fills.
        try:
            worker = _Worker(self._context)
        except Exception:
            logger.exception("Could not start a render worker")
            return None
        with self._lock:
            self._workers.add(worker)
        return worker

    def _borrow(self, wait: float) -> _Worker:
        try:
            worker = self._idle.get(timeout=wait)
        except queue.Empty:
            raise PoolBusy("The server is too busy to render now; try again shortly.") from None
        if worker is not None and worker.alive():
            return worker
        if worker is not None:
            self._discard(worker)  # died while idle: killed from outside, or by the OOM killer
        try:
            worker = _Worker(self._context)
        except Exception:
            self._idle.put(None)
            raise
        with self._lock:
            self._workers.add(worker)
        return worker

    def _give_back(self, worker: _Worker, *, replace: bool) -> None:
        """Return a borrowed worker to the pool, or stop it and put a fresh one in its slot."""
        if not replace and not self.closed:
            self._idle.put(worker)
            return
        self._discard(worker)
        if not self.closed:
            self._idle.put(self._start_or_none())

    def _discard(self, worker: _Worker, *, kill: bool = True) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.stop(kill=kill)

    def run(self, kind: str, payload: object, budget: Budget):
        """Run a job on a borrowed worker; the worker is replaced after a timeout, a death or a bad error."""
        # Waiting for a free worker is bounded too: with every worker busy on slow
        # renders, a caller would otherwise hang for several budgets.
        wait = max(5.0, budget.seconds * 3)
        for attempt in range(2):
            worker = self._borrow(wait)
            try:
                status, answer, recycle = worker.run(kind, payload, budget)
            except _DeadlinePassed:
                logger.warning("Render worker %s went over its %g s budget: killed", worker.pid, budget.seconds)
                self._give_back(worker, replace=True)
                raise rendering.RenderError(budget.too_slow()) from None
            except _WorkerDied as died:
                self._give_back(worker, replace=True)
                if not died.started and attempt == 0:
                    continue  # it died before taking the task (killed while idle): use a fresh one
                raise _death_error(died.exitcode, budget) from None
            except BaseException:
                self._give_back(worker, replace=True)  # its state is unknown
                raise
            self._give_back(worker, replace=recycle or worker.renders >= RECYCLE_AFTER_RENDERS)
            if status == _OK:
                return answer
            raise answer
        raise rendering.RenderError("The render process stopped unexpectedly.")

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                self._discard(worker, kill=False)
        with self._lock:
            busy = list(self._workers)
        for worker in busy:  # mid-render at exit: nothing is waiting for the result
            self._discard(worker)


def _death_error(exitcode: int | None, budget: Budget) -> rendering.RenderError:
    if exitcode == -signal.SIGXCPU:
        return rendering.RenderError(budget.too_slow())
    if exitcode == -signal.SIGKILL:
        # Not us (we only kill on timeout): the kernel's OOM killer, most likely.
        logger.error("Render worker killed by SIGKILL from outside (out of memory?)")
        return rendering.RenderError("The render was stopped by the server, probably for lack of memory.")
    logger.error("Render worker died with exit code %s", exitcode)
    return rendering.RenderError("The render process stopped unexpectedly.")


# --- one pool per process -----------------------------------------------------------

_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _pool_size() -> int:
    return max(1, int(getattr(settings, "RENDER_WORKERS", None) or os.cpu_count() or 1))


def _get_pool() -> _Pool:
    """This process's pool, created on first use (and again after a fork, or when RENDER_WORKERS changes)."""
    global _pool
    size = _pool_size()
    pool = _pool
    if pool is not None and pool.pid == os.getpid() and pool.size == size and not pool.closed:
        return pool
    with _pool_lock:
        pool = _pool
        if pool is None or pool.pid != os.getpid() or pool.size != size or pool.closed:
            if pool is not None and pool.pid == os.getpid():
                pool.close()
            pool = _pool = _Pool(size)
        return pool


def worker_pids() -> list[int]:
    """The pids of this process's render workers (for tests and diagnostics)."""
    pool = _pool
    if pool is None or pool.pid != os.getpid():
        return []
    with pool._lock:
        return sorted(w.pid for w in pool._workers if w.pid is not None)


def shutdown() -> None:
    """Stop this process's render workers; the next render starts a new pool."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None and pool.pid == os.getpid():
        pool.close()


def _forget_pool_after_fork() -> None:
    # A forked child must not use (or stop) its parent's workers; it makes its own on first use.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()
    # multiprocessing's forkserver is a process-wide singleton that a forked child
    # inherits: its waitpid() on the parent's server then fails. Forget it so the
    # child starts its own (no public API for this; guarded for other Pythons).
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    if server is not None and getattr(server, "_forkserver_pid", None) is not None:
        with contextlib.suppress(OSError, TypeError):
            os.close(server._forkserver_alive_fd)
        server._forkserver_pid = server._forkserver_address = server._forkserver_alive_fd = None
        server._lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)
atexit.register(shutdown)
