"""Allocations computed in a worker process (issue 16: cheap pages stay fast while one runs):
the same bytes as in the web process, a worker that dies is restarted with a 503, never a 500."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from leftbehind.errors import Overloaded
from leftbehind.funding.request import AllocationRequest
from leftbehind.observatory.funding import AllocationWorker, Funding
from leftbehind.observatory.service import Observatory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def obs(store_path: Path):
    o = Observatory(store_path, "england-2019-ward")
    yield o
    o.close()


def test_the_worker_computes_the_same_bytes_in_another_process(obs):
    request = AllocationRequest(
        edition="england-2019-ward", budget=2_500_000, years=7, include_other_deprived=True,
        compare_bidding=True,
    )  # fmt: skip
    here = Funding(obs, worker=False).allocate(request)
    there = Funding(obs, worker=True).allocate(request)
    assert AllocationWorker.pid() != os.getpid()
    assert there.json.body == here.json.body
    assert there.csv.body == here.csv.body
    assert there.data == here.data  # read back from the payload
    assert there.data["compare_bidding"] == here.data["compare_bidding"]
    assert there.allocation.areas.equals(here.allocation.areas)
    assert there.allocation.total_pence == 2_500_000 * 100


def test_a_dead_worker_is_a_503_then_a_new_worker(obs):
    funding = Funding(obs, worker=True)
    first = AllocationWorker.pid()
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # until the pool notices
        try:
            os.kill(first, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    request = AllocationRequest(edition="england-2019-ward", budget=1_000_000, years=3)
    with pytest.raises(Overloaded, match="worker stopped unexpectedly"):
        funding.allocate(request)
    result = funding.allocate(request)  # a fresh worker
    assert result.allocation.total_pence == 100_000_000
    assert AllocationWorker.pid() not in (first, os.getpid())


def test_the_worker_ends_when_the_web_process_is_killed(store_path, tmp_path):
    """A killed web process (SIGKILL: no chance to stop its worker) leaves no orphan."""
    import subprocess
    import sys

    script = tmp_path / "web.py"
    script.write_text(
        "import time\n"
        "from leftbehind.observatory.funding import AllocationWorker\n"
        "if __name__ == '__main__':\n"
        "    print(AllocationWorker.pid(), flush=True)\n"
        "    time.sleep(600)\n"
    )
    web = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(web.stdout.readline())
        os.kill(worker, 0)  # running
    finally:
        web.kill()
        web.wait()
        web.stdout.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    pytest.fail("the worker outlived the killed web process by 15 s")
