#!/usr/bin/env python
"""Profile celprice's evaluation of the pricing workload with cProfile.

    python benchmarks/profile_core.py                  # all cases, equal time each
    python benchmarks/profile_core.py --cases description --top 15
    python benchmarks/profile_core.py --equal-calls    # same call count per case
    python benchmarks/profile_core.py --compile        # profile cold compile instead

By default every case gets about the same share of wall time (its call count is
calibrated without the profiler first), so the hot spots reflect the workload's
geometric mean rather than the 1,000-item stress case alone. cProfile adds a
fixed cost per Python call, which exaggerates small closures; use the ranking,
not the absolute numbers (compare_peers.py gives the real times).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import ensure_celprice_importable, load_workload, same_result  # noqa: E402

ensure_celprice_importable()

import celprice  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", metavar="PATTERN", help="regular expression searched in case names/categories")
    ap.add_argument("--seconds", type=float, default=0.3, help="unprofiled seconds per case (default 0.3)")
    ap.add_argument("--equal-calls", type=int, metavar="N", nargs="?", const=2000,
                    help="instead: N calls per case (default 2000)")
    ap.add_argument("--compile", action="store_true", help="profile compile(cache=False) instead of evaluate")
    ap.add_argument("--top", type=int, default=25, help="rows to print")
    ap.add_argument("--sort", default="tottime", choices=["tottime", "cumulative", "ncalls"])
    ap.add_argument("--out", help="also save the raw pstats to this file")
    args = ap.parse_args(argv)

    cases = load_workload()["cases"]
    if args.cases:
        pat = re.compile(args.cases)
        cases = [c for c in cases if pat.search(c["name"]) or pat.search(c.get("category", ""))]

    jobs = []
    for case in cases:
        src, act = case["expression"], case["activation"]
        if args.compile:
            fn, arg = (lambda s: celprice.compile(s, cache=False)), src
        else:
            prog = celprice.compile(src)
            got = prog.evaluate(act)
            if not same_result(got, case["expected"]):
                print(f"warning: {case['name']}: got {got!r}, expected {case['expected']!r}", file=sys.stderr)
            fn, arg = prog.evaluate, act
        if args.equal_calls:
            n = args.equal_calls
        else:
            t0 = time.perf_counter()
            k = 0
            while time.perf_counter() - t0 < 0.02:
                fn(arg)
                k += 1
            per_call = (time.perf_counter() - t0) / k
            n = max(1, int(args.seconds / per_call))
        jobs.append((case["name"], fn, arg, n))

    prof = cProfile.Profile()
    prof.enable()
    for _, fn, arg, n in jobs:
        for _ in range(n):
            fn(arg)
    prof.disable()

    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats(args.sort).print_stats(args.top)
    text = buf.getvalue()
    # Shorten absolute paths to package-relative ones.
    text = re.sub(r"\S*/src/celprice/", "celprice/", text)
    text = re.sub(r"\S*/site-packages/", "", text)
    print(text)
    if args.out:
        stats.dump_stats(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
