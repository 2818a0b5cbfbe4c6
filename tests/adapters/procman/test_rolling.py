"""Rolling reloads of real gunicorn, uvicorn and supervisord under load: zero failed requests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.sample.deployroot import get, make_root, switch

from changegate.adapters.procman import adapter_for, procfs
from changegate.sample import Load


@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn", "supervisord"])
def test_reload_switches_release_with_zero_failures_and_back(kind, tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1", "v2")
    launched = launcher(kind, root)
    adapter = adapter_for(launched.spec, root)
    assert get(launched.url + "/")[1]["version"] == "v1"
    for old, new in (("v1", "v2"), ("v2", "v1")):
        before = adapter.status()
        load = Load(launched.url + "/").start()
        try:
            load.wait_for(30)
            switch(root, new)
            report = adapter.reload()
            reloaded = time.monotonic()
            load.wait_for(30)
        finally:
            seen = load.stop()
        assert seen.failures == 0, seen.failure_samples
        assert [v for _, v in seen.versions_seen] == [old, new]
        assert seen.last_seen[old] < reloaded  # nothing started after reload() saw the old code
        assert report.kind == kind
        assert sorted(report.old_pids) == sorted(before.worker_pids)
        assert len(report.new_pids) == 2
        assert not any(procfs.alive(p) for p in report.old_pids)
        assert get(launched.url + "/")[1]["version"] == new
        assert adapter.status().master_pid == before.master_pid
