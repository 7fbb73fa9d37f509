#!/usr/bin/env python3
"""Helper of run-suite.sh: reads the JSON lines that suite_plugin.py writes.

  suite_report.py seen RESULTS              nodeids that have an end record
  suite_report.py hung RESULTS WHY          close every start without an end
                                            as an error ("hung"), print them
  suite_report.py report OUTDIR PYZMQ_VER   counts, differences, asyncio
"""

import json
import os
import sys

OUTCOMES = ["passed", "failed", "error", "skipped", "xfailed", "xpassed"]


def load(path):
    """nodeid -> end record (the last one); plus starts with no end"""
    ends, starts = {}, []
    if not os.path.exists(path):
        return ends, starts
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            if rec["event"] == "start":
                starts.append(rec["nodeid"])
            else:
                ends[rec["nodeid"]] = rec
    return ends, [n for n in dict.fromkeys(starts) if n not in ends]


def cmd_seen(path):
    ends, _ = load(path)
    for nodeid in ends:
        print(nodeid)


def cmd_hung(path, why):
    _, pending = load(path)
    with open(path, "a") as f:
        for nodeid in pending:
            rec = {
                "event": "end",
                "nodeid": nodeid,
                "outcome": "error",
                "seconds": None,
                "reason": f"hung: the pytest process ended ({why}) while this test ran",
            }
            f.write(json.dumps(rec) + "\n")
            print(nodeid)


def first_line(reason):
    for line in reason.splitlines()[::-1]:
        line = line.strip()
        if line.startswith("E ") or "Error" in line or "hung" in line or "Timeout" in line:
            return line[:240]
    return (reason.strip().splitlines() or [""])[-1][:240]


def counts(ends):
    c = dict.fromkeys(OUTCOMES, 0)
    for rec in ends.values():
        c[rec["outcome"]] = c.get(rec["outcome"], 0) + 1
    return c


def bad(outcome):
    return outcome in ("failed", "error")


KINDS = [("ours", "ferrozmq 4.3.5"), ("debian", "Debian libzmq 4.3.4"), ("wheel", "wheel's libzmq 4.3.5")]


def cmd_report(outdir, version):
    res = {k: load(os.path.join(outdir, f"results-{k}.jsonl"))[0] for k, _ in KINDS}
    ours, deb, whl = res["ours"], res["debian"], res["wheel"]
    lines = [f"pyzmq {version} test suite (tests/ from the sdist), the same pyzmq against each library"]
    ident = os.path.join(outdir, "lib-ours.txt")
    if os.path.exists(ident):
        lines.append(open(ident).read().strip())
    lines.append("")
    lines.append(f"{'':24}" + "".join(f"{k:>9}" for k in OUTCOMES) + f"{'total':>9}")
    for k, label in KINDS:
        if res[k]:
            c = counts(res[k])
            lines.append(f"{label:24}" + "".join(f"{c[o]:>9}" for o in OUTCOMES) + f"{sum(c.values()):>9}")
    only_ours = sorted(n for n, r in ours.items() if bad(r["outcome"]) and deb.get(n, {}).get("outcome") == "passed")
    only_deb = sorted(n for n, r in deb.items() if bad(r["outcome"]) and ours.get(n, {}).get("outcome") == "passed")
    both = sorted(n for n, r in ours.items() if bad(r["outcome"]) and bad(deb.get(n, {}).get("outcome", "")))
    skip_ours = sorted(n for n, r in ours.items() if r["outcome"] == "skipped" and deb.get(n, {}).get("outcome") == "passed")
    missing = sorted(set(deb) ^ set(ours))

    def section(title, nodeids, src):
        lines.append("")
        lines.append(f"{title}: {len(nodeids)}")
        for n in nodeids:
            rec = src.get(n, {})
            extra = ""
            if whl:
                extra = f" (wheel's 4.3.5: {whl.get(n, {}).get('outcome', 'not run')})"
            lines.append(f"  {n}  [{rec.get('outcome', '-')}]{extra} {first_line(rec.get('reason', ''))}")

    section("fail against ferrozmq, pass against Debian's libzmq", only_ours, ours)
    section("skipped against ferrozmq, pass against Debian's libzmq", skip_ours, ours)
    section("fail against Debian's libzmq, pass against ferrozmq", only_deb, deb)
    section("fail against both", both, ours)
    if whl:
        only_vs_wheel = sorted(n for n, r in ours.items() if bad(r["outcome"]) and whl.get(n, {}).get("outcome") == "passed")
        section("fail against ferrozmq, pass against the wheel's libzmq 4.3.5", only_vs_wheel, ours)
    if missing and ours and deb:
        section("run against only one of the two", missing, {**deb, **ours})

    recheck = os.path.join(outdir, "recheck.txt")
    if os.path.exists(recheck) and os.path.getsize(recheck):
        lines.append("")
        lines.append("re-run alone (passes/tries) of each test that failed only against ferrozmq:")
        for line in open(recheck):
            nodeid, *r = line.rstrip("\n").split("\t")
            lines.append(f"  {nodeid}  " + ", ".join(r))

    for k, label in KINDS:
        flaky = sorted(n for n, r in res[k].items() if r.get("reruns"))
        if flaky:
            lines.append("")
            lines.append(f"needed reruns (tests marked flaky upstream) against {label}:")
            for n in flaky:
                lines.append(f"  {n}  {res[k][n]['reruns']} rerun(s), then {res[k][n]['outcome']}")

    lines.append("")
    lines.append("asyncio (tests/test_asyncio.py):")
    for k, label in KINDS:
        if res[k]:
            a = {n: r for n, r in res[k].items() if n.startswith("tests/test_asyncio.py")}
            lines.append(f"  {label:24}" + ", ".join(f"{v} {o}" for o, v in counts(a).items() if v))

    text = "\n".join(lines) + "\n"
    with open(os.path.join(outdir, "suite-results.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(outdir, "suite-only-ours-fail.txt"), "w") as f:
        for n in only_ours:
            f.write(n + "\n")
    with open(os.path.join(outdir, "suite-summary.json"), "w") as f:
        json.dump(
            {
                "pyzmq": version,
                **{k: counts(res[k]) for k, _ in KINDS if res[k]},
                "fail_only_ours": {n: first_line(ours[n]["reason"]) for n in only_ours},
                "fail_only_debian": only_deb,
                "fail_both": both,
            },
            f,
            indent=1,
        )
    sys.stdout.write(text)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    {"seen": cmd_seen, "hung": cmd_hung, "report": cmd_report}[cmd](*args)
