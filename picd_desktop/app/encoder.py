"""Encoding in a persistent child process, so that cancelling stops it at once.

`api.encode` spends its time in Tesseract and the base codec, neither of which polls a
cancel flag. `EncoderProcess` runs it in one long-lived child (spawn start method, started
lazily or warmed ahead of time, the API imported once). `cancel` kills the child and its whole
process group (Tesseract included, on POSIX) and a fresh child is started in its place.
Errors come back with their own types (PicdError subclasses, OSError and MemoryError pickle).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection

from picd_desktop.format.errors import Cancelled
from picd_desktop.imageio import ImageSource

StageFn = Callable[[str, int, int], None]
CancelFn = Callable[[], bool]
POLL_S = 0.02


@dataclass(frozen=True)
class EncodeJob:
    """What the child encodes: `app.library.encode_entry`'s arguments."""

    image: ImageSource
    quality: float
    lang: str
    source: str = "capture"
    base: str | None = None  # base codec id (None: the default)


class EncoderDied(RuntimeError):
    """The child process ended without an answer (killed by the system or crashed)."""


def _picklable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 (any unpicklable error)
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    exc.__traceback__ = None
    return exc


@contextlib.contextmanager
def _memory_cap(extra_mb: int | None) -> Iterator[None]:
    """Cap the address space at its current size plus `extra_mb` while a job runs (POSIX;
    the soft limit goes back afterwards, so receiving the next job is never capped)."""
    if extra_mb is None:
        yield
        return
    import resource

    with open("/proc/self/statm", encoding="ascii") as f:
        size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + extra_mb * 1024 * 1024, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _serve(conn: Connection, memory_mb: int | None) -> None:
    """The child's loop: import the API once, then encode jobs until told to stop."""
    if hasattr(os, "setpgid"):
        os.setpgid(0, 0)  # its own process group: a kill reaches Tesseract too
    from picd_desktop.app.library import encode_entry

    conn.send(("ready", os.getpid(), None))
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        job_id, spec = job

        def stage(name: str, done: int, total: int, job_id: int = job_id) -> None:
            conn.send(("stage", job_id, (name, done, total)))

        try:
            with _memory_cap(memory_mb):
                result = encode_entry(spec.image, quality=spec.quality, lang=spec.lang,
                                      source=spec.source, base=spec.base, stage=stage)
        except BaseException as exc:  # noqa: BLE001 (every failure goes back to the parent)
            conn.send(("error", job_id, _picklable(exc)))
        else:
            conn.send(("done", job_id, result))


class EncoderProcess:
    """One persistent encoding child; one job at a time (callers queue on a lock)."""

    def __init__(self, memory_limit_mb: int | None = None) -> None:
        """`memory_limit_mb`: cap each job's extra address space (POSIX); None: no cap."""
        self.memory_limit_mb = memory_limit_mb
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._ready = False
        self._jobs = 0
        self._lock = threading.Lock()  # one job at a time
        self._state = threading.Lock()  # guards _proc/_conn against cancel/close

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def warm(self) -> None:
        """Start the child now (it imports the API in the background); returns at once."""
        with self._state:
            if self._proc is None:
                parent, child = self._ctx.Pipe()
                proc = self._ctx.Process(target=_serve, args=(child, self.memory_limit_mb),
                                         name="picd-encoder", daemon=True)
                proc.start()
                child.close()
                self._proc, self._conn, self._ready = proc, parent, False

    def encode(self, job: EncodeJob, stage: StageFn | None = None,
               cancel: CancelFn | None = None) -> tuple[bytes, int]:
        """`encode_entry(job)` in the child: (picd bytes, png size). Raises what it raised,
        Cancelled when `cancel()` turns true (the child is killed and replaced)."""
        with self._lock:
            self.warm()
            conn = self._conn
            assert conn is not None
            self._wait_ready(conn, cancel)
            self._jobs += 1
            job_id = self._jobs
            try:
                conn.send((job_id, job))
            except OSError:  # the child is gone (BrokenPipeError)
                raise self._died() from None
            while True:
                message = self._next(conn, cancel)
                kind, mid, payload = message
                if kind == "stage" and mid == job_id:
                    if stage is not None:
                        stage(*payload)
                elif kind == "done" and mid == job_id:
                    return payload
                elif kind == "error" and mid == job_id:
                    raise payload

    def _wait_ready(self, conn: Connection, cancel: CancelFn | None) -> None:
        while not self._ready:
            kind, _, _ = self._next(conn, cancel)
            self._ready = kind == "ready"

    def _next(self, conn: Connection, cancel: CancelFn | None) -> tuple:
        """The child's next message; Cancelled on cancel, EncoderDied if it has gone."""
        while True:
            if cancel is not None and cancel():
                self.restart()
                raise Cancelled("encoding cancelled")
            try:
                if conn.poll(POLL_S):
                    return conn.recv()
            except (EOFError, OSError):
                pass
            else:
                if self._proc is not None and self._proc.is_alive():
                    continue
            raise self._died()

    def _died(self) -> BaseException:
        proc = self._proc
        code = None
        if proc is not None:
            proc.join(1)
            code = proc.exitcode
        self._discard()
        if code == -signal.SIGKILL:
            return MemoryError("the encoder was killed by the system (most likely out of "
                               "memory)")
        return EncoderDied(f"the encoder process stopped unexpectedly (exit code {code})")

    def restart(self) -> None:
        """Kill the child (and its process group) now and warm a fresh one."""
        self.kill()
        self.warm()

    def kill(self) -> None:
        """Kill the child and everything it started; no replacement."""
        with self._state:
            proc = self._proc
            if proc is not None and proc.pid is not None and proc.is_alive():
                _kill_tree(proc.pid)
                proc.join(5)
        self._discard()

    def close(self) -> None:
        """Stop the child (politely, then by force)."""
        conn, proc = self._conn, self._proc
        if conn is not None and proc is not None and proc.is_alive():
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)
            proc.join(0.5)
        self.kill()

    def _discard(self) -> None:
        with self._state:
            if self._conn is not None:
                with contextlib.suppress(OSError):
                    self._conn.close()
            self._proc = self._conn = None
            self._ready = False


def _kill_tree(pid: int) -> None:
    """SIGKILL the child's process group (it leads one), or the child alone."""
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            if os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
                return
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
