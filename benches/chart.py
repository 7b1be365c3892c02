#!/usr/bin/env python3
"""Draws benches/scaling.svg: the per-thread cost of a counter increment and of a histogram
observation at 1, 2 and 4 threads, for coremeter and each peer, from one criterion run.

    python3 benches/chart.py            # runs the counter and histogram benches, then draws
    python3 benches/chart.py --no-run   # draws from the last run's results in target/criterion

Needs matplotlib (`python3 -m pip install matplotlib`). The figures are criterion's medians
(target/criterion/<group>/<library>/new/estimates.json); the machine and the date go in the
title, so that a chart never travels without them.
"""

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
OUT = ROOT / "benches" / "scaling.svg"

THREADS = [1, 2, 4]
LIBRARIES = ["coremeter", "prometheus-client", "prometheus", "metrics", "measured"]
PANELS = [
    (
        "counter inc",
        "counter",
        ["counter_inc_1_thread", "counter_inc_2_threads_same_counter",
         "counter_inc_4_threads_same_counter"],
    ),
    (
        "histogram observe (11 buckets)",
        "histogram",
        ["histogram_observe_1_thread", "histogram_observe_2_threads_same_histogram",
         "histogram_observe_4_threads_same_histogram"],
    ),
]
# The bare atomic add every library is measured against, drawn as a dashed line.
FLOOR = "bare fetch_add"


def median_ns(group: str, bench: str) -> float:
    path = CRITERION / group / bench / "new" / "estimates.json"
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def run_benches() -> None:
    subprocess.run(
        ["cargo", "bench", "-p", "coremeter-benches", "--bench", "counter", "--bench", "histogram"],
        cwd=ROOT,
        check=True,
    )


def draw() -> None:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "coremeter"  # the same figures give the same file
    plt.rcParams["svg.fonttype"] = "none"
    fig, axes = plt.subplots(1, len(PANELS), figsize=(11, 4.4))
    for ax, (title, _, groups) in zip(axes, PANELS):
        for lib in LIBRARIES + [FLOOR]:
            ys = [median_ns(g, lib) for g in groups]
            style = dict(marker="o", linewidth=2.2 if lib == "coremeter" else 1.4)
            if lib == FLOOR:
                style.update(color="grey", linestyle="--", marker=None, linewidth=1)
            ax.plot(THREADS, ys, label=lib, **style)
        ax.set_yscale("log")
        ax.set_xticks(THREADS)
        ax.set_xlabel("threads updating one metric (4 threads share 2 CPUs)")
        ax.set_ylabel("ns per operation per thread (median)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(loc="upper left", fontsize=8)
    day = datetime.date.today().isoformat()
    fig.suptitle(f"Lower is better. {machine()}; criterion medians, one run, {day}", fontsize=9)
    fig.tight_layout()
    fig.savefig(OUT, metadata={"Date": None})
    print(f"wrote {OUT.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="draw from the last results")
    args = parser.parse_args()
    if not args.no_run:
        run_benches()
    draw()
    return 0


if __name__ == "__main__":
    sys.exit(main())
