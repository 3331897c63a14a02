"""asyncio: ``await provider.retrieve_async()`` with real helpers: the loop never stalls, one run
for every task, a cached hit never leaves the loop's thread, task cancellation kills the helper."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest

import processcreds
from processcreds import Credentials, ExecutionError, ProcessProvider, _lib

from .conftest import HelperFactory, check_secret


def dead(pid: int) -> bool:
    """The process is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def pid_from(path: Path, bound: float = 10.0) -> int:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        try:
            text = path.read_text().strip()
            if text:
                return int(text)
        except OSError:
            pass
        time.sleep(0.002)
    raise AssertionError(f"no pid in {path}")


def library_threads() -> List[str]:
    names = []
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
        except OSError:
            continue
        if name in ("pc-async", "pc-callback"):
            names.append(name)
    return names


def sleeper(tmp_path: Path, secs: float) -> Path:
    """A helper that counts its runs, writes its pid (a process group leader's: pytest has no
    terminal here) and a `sleep` child's, sleeps, then prints expiring credentials."""
    script = tmp_path / "sleeper.sh"
    d = str(tmp_path)
    script.write_text(
        "#!/bin/sh\n"
        f"echo run >> '{d}/runs'\n"
        f"echo $$ > '{d}/pid.tmp'; mv '{d}/pid.tmp' '{d}/pid'\n"
        f"sleep 120 & echo $! > '{d}/child.tmp'; mv '{d}/child.tmp' '{d}/child'\n"
        f"sleep {secs}\n"
        "kill $! 2>/dev/null\n"
        "printf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDASYNC\",\"SecretAccessKey\":"
        "\"async-secret\",\"Expiration\":\"2099-01-01T00:00:00Z\"}'\n"
    )
    script.chmod(0o755)
    return script


def runs(tmp_path: Path) -> int:
    try:
        return len((tmp_path / "runs").read_text().splitlines())
    except FileNotFoundError:
        return 0


def test_heartbeat_never_stalls_while_200_tasks_share_one_run(tmp_path: Path) -> None:
    helper = sleeper(tmp_path, 0.5)

    async def main() -> float:
        loop = asyncio.get_running_loop()
        worst = 0.0
        beating = True

        async def heartbeat() -> None:
            nonlocal worst
            last = loop.time()
            while beating:
                await asyncio.sleep(0.001)
                now = loop.time()
                worst = max(worst, now - last)
                last = now

        with ProcessProvider.from_argv([str(helper)], stdin="null") as p:
            beat = asyncio.create_task(heartbeat())
            await asyncio.sleep(0.01)
            got = await asyncio.gather(*(p.retrieve_async() for _ in range(200)))
            beating = False
            await beat
        assert len(got) == 200
        assert all(c.access_key_id == "AKIDASYNC" for c in got)
        check_secret("secret", got[0].secret_access_key, "async-secret")
        return worst

    worst = asyncio.run(main())
    print(f"heartbeat: longest stall {worst * 1000:.2f} ms")
    assert worst < 0.020, f"the loop stalled {worst * 1000:.1f} ms"
    assert runs(tmp_path) == 1


def test_a_cached_hit_never_leaves_the_loops_thread(make_helper: HelperFactory) -> None:
    h = make_helper(lifetime=3600)

    with ProcessProvider(h.command) as p:
        assert p.retrieve_cached() is None
        assert h.runs == 0
        first = asyncio.run(p.retrieve_async())
        assert h.runs == 1
        cached = p.retrieve_cached()
        assert cached == first
        # The coroutine of a hit completes at its first step: it never suspends, so nothing
        # else runs and no other thread is involved.
        coro = p.retrieve_async()
        with pytest.raises(StopIteration) as done:
            coro.send(None)
        assert done.value.value == first
        assert h.runs == 1


def test_task_cancellation_kills_the_helpers_group(tmp_path: Path) -> None:
    helper = sleeper(tmp_path, 30)

    async def main() -> float:
        with ProcessProvider.from_argv([str(helper)], stdin="null") as p:
            task = asyncio.create_task(p.retrieve_async())
            pid = await asyncio.to_thread(pid_from, tmp_path / "pid")
            child = await asyncio.to_thread(pid_from, tmp_path / "child")
            t0 = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            while not (dead(pid) and dead(child)):
                assert time.monotonic() - t0 < 0.1, "the helper's group outlived the cancel"
                await asyncio.sleep(0.001)
            return time.monotonic() - t0

    took = asyncio.run(main())
    print(f"helper and child dead {took * 1000:.1f} ms after the cancel")
    assert runs(tmp_path) == 1


def test_cancelling_some_tasks_leaves_the_run_to_the_others(tmp_path: Path) -> None:
    helper = sleeper(tmp_path, 0.4)

    async def main() -> None:
        with ProcessProvider.from_argv([str(helper)], stdin="null") as p:
            tasks = [asyncio.create_task(p.retrieve_async()) for _ in range(10)]
            await asyncio.sleep(0.05)
            for t in tasks[:5]:
                t.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results[:5])
        assert all(isinstance(r, Credentials) for r in results[5:])

    asyncio.run(main())
    assert runs(tmp_path) == 1


def test_errors_and_blocking_callers(make_helper: HelperFactory, tmp_path: Path) -> None:
    async def failing() -> None:
        with ProcessProvider(make_helper(exit_code=3).command, stderr="discard") as p:
            with pytest.raises(ExecutionError) as e:
                await p.retrieve_async()
            assert "exit status 3" in str(e.value)

    asyncio.run(failing())

    helper = sleeper(tmp_path, 0.3)

    async def shared() -> None:
        with ProcessProvider.from_argv([str(helper)], stdin="null") as p:
            blocking: List[Optional[Credentials]] = [None]

            def block() -> None:
                blocking[0] = p.retrieve()

            task = asyncio.create_task(p.retrieve_async())
            await asyncio.sleep(0.05)
            t = threading.Thread(target=block)
            t.start()
            creds = await task
            await asyncio.to_thread(t.join)
            assert blocking[0] == creds

    asyncio.run(shared())
    assert runs(tmp_path) == 1


def test_closing_while_a_task_waits(tmp_path: Path) -> None:
    helper = sleeper(tmp_path, 0.2)

    async def main() -> Credentials:
        p = ProcessProvider.from_argv([str(helper)], stdin="null")
        task = asyncio.create_task(p.retrieve_async())
        await asyncio.sleep(0.05)
        p.close()  # the waiting task keeps the library's provider until it is done
        with pytest.raises(processcreds.InvalidArgumentError):
            await p.retrieve_async()
        return await task

    assert asyncio.run(main()).access_key_id == "AKIDASYNC"


def test_no_library_thread_left(tmp_path: Path) -> None:
    helper = sleeper(tmp_path, 0.05)

    async def main() -> None:
        with ProcessProvider.from_argv([str(helper)], stdin="null") as p:
            await asyncio.gather(*(p.retrieve_async() for _ in range(20)))

    asyncio.run(main())
    deadline = time.monotonic() + 2
    while library_threads() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert library_threads() == []


def test_declarations_exist() -> None:
    assert _lib.RETRIEVE_CB is not None
    assert "pc_retrieve_async" not in _lib.MISSING
    assert os.path.exists(processcreds.library_path)
