"""The spider's own guard against a long `backoff`: the first Ctrl-C (or SIGTERM) cuts the wait
and the run is recorded interrupted. The spider under faults that must end in a truthful status
and a whole rerun is in tests/test_faults.py."""

from __future__ import annotations

import signal
import time
from contextlib import ExitStack

from fault_proxy import FaultProxy
from fault_rules import se_field, se_method
from se_world import crawl, last_run, se_sandbox

from crawlers.stackexchange.client import MAX_BACKOFF_S
from storage.state import exit_code


def test_first_ctrl_c_or_sigterm_cuts_a_long_backoff_and_the_run_is_interrupted(tmp_path):
    # Every tag answer asks for a day of backoff (capped): without the signal these runs sit.
    signals = (signal.SIGINT, signal.SIGTERM)
    with se_sandbox() as sandbox, ExitStack() as stack:
        rules = [
            se_field("backoff", 86400, match=se_method(r"^/tags/"), times=None) for _ in signals
        ]
        proxies = [stack.enter_context(FaultProxy(sandbox.base_url, [rule])) for rule in rules]
        dbs = [f"sqlite:///{tmp_path / f'{signum.name}.db'}" for signum in signals]
        apis = [proxy.stackexchange_url for proxy in proxies]
        procs = [crawl(db, api, wait=False) for db, api in zip(dbs, apis, strict=True)]
        deadline = time.monotonic() + 30
        while not all(rule.fired for rule in rules) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # now waiting out the capped backoff
        assert [proc.poll() for proc in procs] == [None, None]
        started = time.monotonic()
        for proc, signum in zip(procs, signals, strict=True):
            proc.send_signal(signum)
        ended = [proc.communicate(timeout=MAX_BACKOFF_S / 2) for proc in procs]
        took = time.monotonic() - started
    assert took < 15, [err for _, err in ended]
    for db, proc, (out, err) in zip(dbs, procs, ended, strict=True):
        assert b"stackoverflow interrupted:" in out, out + err
        assert proc.returncode == exit_code("interrupted") and b"Traceback" not in err
        assert last_run(db).status == "interrupted"
