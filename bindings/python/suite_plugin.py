"""pytest plugin for run-suite.sh: one JSON line per test, written as it happens.

A "start" line is written before a test runs and an "end" line (with its
outcome) after its teardown, both flushed at once, so that when a test hangs
and the process is killed from outside, the test that was running is known
(a start with no end) and the rest of the file can be run without it.

Enabled with `-p suite_plugin`; the file is named by $FZ_RESULTS.
"""

import json
import os
import time

_out = None
_state = {}


def _write(record):
    global _out
    if _out is None:
        _out = open(os.environ["FZ_RESULTS"], "a", buffering=1)
    _out.write(json.dumps(record) + "\n")
    _out.flush()


def pytest_runtest_logstart(nodeid, location):
    _state[nodeid] = {"outcome": None, "reason": "", "t0": time.monotonic(), "reruns": 0}
    _write({"event": "start", "nodeid": nodeid})


def _text(report):
    text = getattr(report, "longreprtext", "") or ""
    if report.skipped and isinstance(report.longrepr, tuple):
        text = str(report.longrepr[2])
    return text[-3000:]


def pytest_runtest_logreport(report):
    st = _state.setdefault(
        report.nodeid, {"outcome": None, "reason": "", "t0": time.monotonic(), "reruns": 0}
    )
    xfail = hasattr(report, "wasxfail")
    if report.outcome == "rerun":
        # pytest-rerunfailures: a failed try of a test marked flaky upstream
        st["reruns"] += 1
        st["rerun_reason"] = _text(report)
        return
    if report.when == "call":
        if xfail:
            st["outcome"] = "xfailed" if report.skipped else "xpassed"
        elif report.passed:
            st["outcome"] = "passed"
        elif report.failed:
            st["outcome"] = "failed"
            st["reason"] = _text(report)
        elif report.skipped:
            st["outcome"] = "skipped"
            st["reason"] = _text(report)
    elif report.failed:
        # a failure in setup or teardown is an error, as pytest counts it
        if st["outcome"] not in ("failed", "error"):
            st["outcome"] = "error"
            st["reason"] = f"[{report.when}] " + _text(report)
    elif report.skipped and report.when == "setup":
        st["outcome"] = "xfailed" if xfail else "skipped"
        st["reason"] = _text(report)


def pytest_runtest_logfinish(nodeid, location):
    st = _state.pop(nodeid, {"outcome": None, "reason": "", "t0": time.monotonic(), "reruns": 0})
    _write(
        {
            "event": "end",
            "nodeid": nodeid,
            "outcome": st["outcome"] or "error",
            "seconds": round(time.monotonic() - st["t0"], 3),
            "reason": st["reason"] or st.get("rerun_reason", ""),
            "reruns": st["reruns"],
        }
    )


def pytest_collectreport(report):
    # a test module that cannot even be imported counts as one error
    if report.failed:
        _write(
            {
                "event": "end",
                "nodeid": report.nodeid + "::<collection>",
                "outcome": "error",
                "seconds": 0,
                "reason": "[collect] " + (getattr(report, "longreprtext", "") or "")[-3000:],
            }
        )
