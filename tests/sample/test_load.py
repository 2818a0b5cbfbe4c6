"""Load counts every failure and stops within its bounds."""

from __future__ import annotations

import time

from changegate.adapters.pgserver import free_port
from changegate.sample import Load


def test_every_refused_connection_is_a_failure():
    load = Load(f"http://127.0.0.1:{free_port()}/", threads=2, max_samples=3).start()
    load.wait_for(20)
    report = load.stop()
    assert report.requests >= 20
    assert report.failures == report.requests
    assert len(report.failure_samples) == 3
    assert "ConnectionRefusedError" in report.failure_samples[0]
    assert report.versions_seen == [] and report.last_seen == {}


def test_max_duration_bounds_the_run():
    load = Load(f"http://127.0.0.1:{free_port()}/", threads=1, max_duration=0.3).start()
    deadline = time.monotonic() + 10
    while any(t.is_alive() for t in load._threads):
        assert time.monotonic() < deadline, "load outlived its max_duration"
        time.sleep(0.02)
    assert load.stop().duration_s < 10
