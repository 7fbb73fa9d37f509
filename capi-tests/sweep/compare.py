#!/usr/bin/env python3
"""Compares the sweep's results on ferrozmq with those on libzmq.

usage: compare.py OURS.txt LIBZMQ.txt ALLOW [--markdown]

A case passes when ours neither crashed nor hung and, where libzmq
returned normally, ours returned the same (value and errno) or the case is
on the allow-list (ALLOW: lines "function<TAB>args glob<TAB>reason"; # for
comments). Where libzmq crashed or hung, any normal return of ours passes.
A function passes when all its cases do; the last line is
"N passed, N failed" over functions, for scripts/run-tests.sh.
"""
import fnmatch
import sys
from collections import OrderedDict

ERRNO = {1: "EPERM", 2: "ENOENT", 4: "EINTR", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM",
         14: "EFAULT", 19: "ENODEV", 22: "EINVAL", 24: "EMFILE", 36: "ENAMETOOLONG",
         38: "ENOSYS", 88: "ENOTSOCK", 90: "EMSGSIZE", 93: "EPROTONOSUPPORT",
         95: "ENOTSUP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL",
         101: "ENETUNREACH", 113: "EHOSTUNREACH", 156384763: "EFSM",
         156384764: "ENOCOMPATPROTO", 156384765: "ETERM", 156384766: "EMTHREAD"}
SIGNALS = {6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV", 4: "SIGILL", 5: "SIGTRAP"}


def load(path):
    res = OrderedDict()
    for line in open(path, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 4:
            res[(parts[1], parts[2])] = parts[3]
    return res


def kind(outcome):
    if outcome == "no-reference":
        return "none"
    if outcome.startswith("signal="):
        return "crash"
    if outcome == "hang":
        return "hang"
    if outcome.startswith(("exit=", "setup-failed", "runner-error", "no-such-case")):
        return "broken"
    return "ok"


def pretty(outcome):
    if outcome.startswith("signal="):
        n = int(outcome.split("=")[1])
        return f"crash ({SIGNALS.get(n, 'signal ' + str(n))})"
    if "errno=" in outcome:
        head, e = outcome.rsplit("errno=", 1)
        try:
            e = ERRNO.get(int(e), e)
        except ValueError:
            pass
        return f"{head}{e}"
    return outcome


def load_allow(path):
    rules = []
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            sys.exit(f"compare.py: bad allow-list line: {line!r}")
        rules.append([parts[0], parts[1], parts[2], 0])
    return rules


def allowed(rules, fn, args):
    for r in rules:
        if fnmatch.fnmatchcase(fn, r[0]) and fnmatch.fnmatchcase(args, r[1]):
            r[3] += 1
            return r[2]
    return None


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ours = load(sys.argv[1])
    # "-" for LIBZMQ.txt: no reference; only crashes and hangs of ours fail.
    ref = load(sys.argv[2]) if sys.argv[2] != "-" else {k: "no-reference" for k in ours}
    rules = load_allow(sys.argv[3])
    md = "--markdown" in sys.argv
    if set(ours) != set(ref):
        print("FAIL the two runs have different cases (rebuild both from one sweep.c)")
        print("0 passed, 1 failed")
        return 1
    tot = {"ours": {"crash": 0, "hang": 0, "broken": 0, "ok": 0, "none": 0},
           "libzmq": {"crash": 0, "hang": 0, "broken": 0, "ok": 0, "none": 0}}
    match = allow_n = mism = ref_bad = 0
    funcs = OrderedDict()
    mismatches, failures, allowed_list, ref_crashes = [], [], [], OrderedDict()
    for key in sorted(ours):
        fn, args = key
        o, r = ours[key], ref[key]
        ko, kr = kind(o), kind(r)
        tot["ours"][ko] += 1
        tot["libzmq"][kr] += 1
        ok = True
        if ko != "ok":
            ok = False
            failures.append((fn, args, pretty(o), pretty(r)))
        elif kr == "ok":
            if o == r:
                match += 1
            else:
                why = allowed(rules, fn, args)
                if why:
                    allow_n += 1
                    allowed_list.append((fn, args, pretty(o), pretty(r), why))
                else:
                    mism += 1
                    ok = False
                    mismatches.append((fn, args, pretty(o), pretty(r)))
        elif kr != "none":
            ref_bad += 1
            ref_crashes.setdefault(fn, []).append((args, pretty(o), pretty(r)))
        funcs.setdefault(fn, True)
        funcs[fn] = funcs[fn] and ok
    n = len(ours)
    print(f"API misuse sweep: {n} calls over {len(funcs)} functions")
    print()
    if sys.argv[2] == "-":
        print("(no libzmq to compare with: only crashes and hangs of ours count)")
    print("| | ferrozmq | libzmq |")
    print("|---|---:|---:|")
    print(f"| calls | {n} | {n} |")
    print(f"| crashes | {tot['ours']['crash']} | {tot['libzmq']['crash']} |")
    print(f"| hangs | {tot['ours']['hang']} | {tot['libzmq']['hang']} |")
    print(f"| normal returns | {tot['ours']['ok']} | {tot['libzmq']['ok']} |")
    print()
    print(f"Where libzmq returns normally ({tot['libzmq']['ok']} calls): ours the same in "
          f"{match}, an allow-listed difference in {allow_n}, a mismatch in {mism}.")
    print(f"Where libzmq crashes or hangs ({ref_bad} calls): ours returns normally in "
          f"{sum(1 for v in ref_crashes.values() for a in v if not a[1].startswith('crash') and a[1] != 'hang')}.")
    if tot["ours"]["broken"] or tot["libzmq"]["broken"]:
        print(f"Cases whose setup failed: ours {tot['ours']['broken']}, libzmq {tot['libzmq']['broken']}")
    print()
    if failures:
        print("Ours crashed or hung:")
        for f in failures:
            print(f"  FAIL {f[0]} ({f[1]}): ours {f[2]}, libzmq {f[3]}")
    if mismatches:
        print("Mismatches (libzmq returned normally, ours differs, not allow-listed):")
        for f in mismatches:
            print(f"  FAIL {f[0]} ({f[1]}): ours {f[2]}, libzmq {f[3]}")
    if "-v" in sys.argv or md:
        print()
        print("Allow-listed differences:")
        for f in allowed_list:
            print(f"  {f[0]} ({f[1]}): ours {f[2]}, libzmq {f[3]}  [{f[4]}]")
        print()
        print("Where libzmq crashes or hangs (per function: calls; ours instead):")
        for fn, v in ref_crashes.items():
            outs = sorted({a[1] for a in v})
            print(f"  {fn}: {len(v)} ({', '.join(outs)})")
    unused = [r for r in rules if r[3] == 0] if "-v" in sys.argv else []
    for r in unused:
        print(f"note: allow-list entry matched nothing: {r[0]} {r[1]}")
    p = sum(1 for v in funcs.values() if v)
    f = len(funcs) - p
    print(f"{p} passed, {f} failed")
    return 0 if f == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
