"""make bench: pyinet against native OTP in one run, as ratios, a table and a plot.

    python bench/run.py [--quick] [--reps N] [--only NAME]

Every workload runs on native gen_tcp and on pyinet in the same Erlang node,
alternating (native, pyinet, native, ...) so that drift in the machine's load
hits both alike; each figure is the median of the repetitions. The codec rows
compare our ETF codec with the erlang-py package in this process.

Writes bench/results/latest.json (a list of rows {name, unit, native, pyinet,
ratio, target, better, met}), prints a markdown table, and draws
bench/results/latest.png. Ratios are pyinet / native; `better` says which way is
good, `target` is the ratio (or, for memory, the absolute value) we aim for.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
EBIN = ROOT / "_build" / "default" / "lib" / "pyinet" / "ebin"
BENCH_EBIN = ROOT / "_build" / "bench"

MiB = 1 << 20


@dataclass
class Workload:
    name: str  # row name prefix
    args: list  # pyinet_bench:run/1 arguments after the backend
    quick_args: list
    metrics: dict = field(default_factory=dict)  # result name -> (row name, better, target, absolute)


def workloads() -> list[Workload]:
    # The targets are issue 19's (ratios to native in the same run).
    tp = {"throughput": ("", "higher", 0.5, False)}
    tp_small_out = {"throughput": ("", "higher", 0.4, False)}
    tp_small_in = {"throughput": ("", "higher", None, False)}
    out = []
    for direction, label in (("out", "BEAM sending"), ("in", "BEAM receiving")):
        for mode in (("passive", "once") if direction == "in" else ("passive",)):
            suffix = f"{label}, {'passive recv' if mode == 'passive' else '{active, once}'}"
            if direction == "out":
                suffix = label
            out.append(Workload(f"throughput 64 KiB sends ({suffix})",
                                ["throughput", direction, mode, 65536, 1024 * MiB],
                                ["throughput", direction, mode, 65536, 64 * MiB], tp))
            out.append(Workload(f"throughput 1 KiB sends ({suffix})",
                                ["throughput", direction, mode, 1024, 1024 * MiB],
                                ["throughput", direction, mode, 1024, 4 * MiB],
                                tp_small_out if direction == "out" else tp_small_in))
    out.append(Workload("ping-pong 64 B {packet, 4}", ["pingpong", 20000], ["pingpong", 2000],
                        {"round_trips": ("round trips", "higher", None, False),
                         "rtt_p50": ("p50 round trip", "lower", 2.0, False),
                         "rtt_p99": ("p99 round trip", "lower", None, False)}))
    out.append(Workload("connection churn", ["churn", 2000], ["churn", 300],
                        {"churn": ("", "higher", 0.5, False)}))
    out.append(Workload("10,000 idle connections", ["idle", 10000], ["idle", 1000],
                        {"idle_python_memory": ("Python memory", "lower", 10 * 1024, True),
                         "idle_beam_memory": ("BEAM memory", "lower", None, False)}))
    for pool in (1, 2):
        out.append(Workload(f"1,000 connections echoing, pool of {pool}",
                            ["echo", 1000, 20, pool], ["echo", 100, 5, pool],
                            {"echo": ("", "higher", None, False)}))
    out.append(Workload("ping-pong by an owner on another node", ["remote", 5000], ["remote", 500],
                        {"rtt_p50": ("p50 round trip", "lower", 1.5, False),
                         "round_trips": ("round trips", "higher", None, False)}))
    # pyinet_dist against inet_tcp_dist: distribution between two nodes.
    out.append(Workload("distribution (pyinet_dist vs inet_tcp_dist)",
                        ["dist", 5000, 256 * MiB], ["dist", 500, 32 * MiB],
                        {"rtt_p50": ("p50 message round trip", "lower", None, False),
                         "dist_throughput": ("64 KiB messages", "higher", None, False)}))
    return out


def sctp_workloads() -> list[tuple[str, list, list]]:
    """(name, args, quick args) of the SCTP rows: messages of 64 B and 64 KiB."""
    return [("SCTP 64 B messages", [64, 100000], [64, 5000]),
            ("SCTP 64 KiB messages", [65536, 5000], [65536, 300])]


def bench_sctp(quick: bool, reps: int, only: str | None) -> list[dict]:
    """SCTP rows. Where the kernel has SCTP (the VM: bench/sctp_vm.sh), native
    gen_sctp against pyinet on each backend, as ratios; elsewhere the userland
    backend alone (pyinet against pyinet), whose `native` column is then the
    same figure: no reference ran, and the ratio is left out."""
    sys.path.insert(0, str(ROOT / "priv"))
    from bridge.sctp import backends
    wls = [w for w in sctp_workloads() if only is None or only in w[0]]
    if not wls:
        return []
    kernel = backends.kernel_available()
    names = (["native", "kernel", "userland"] if kernel else ["userland"])
    jobs, index = [], {}
    for _ in range(reps):
        for name, args, quick_args in wls:
            for backend in names:
                job_id = len(jobs)
                jobs.append((job_id, ["sctp", backend] + (quick_args if quick else args)))
                index[job_id] = (name, backend)
    results = run_jobs(jobs)
    samples: dict = {}
    for job_id, rows in results.items():
        name, backend = index[job_id]
        for metric, unit, value in rows:
            samples.setdefault((name, metric, unit), {}).setdefault(backend, []).append(value)
    rows = []
    for (name, metric, unit), values in samples.items():
        label = "messages" if metric == "sctp_msgs" else "throughput"
        med = {b: statistics.median(v) for b, v in values.items()}
        if kernel:
            for backend in ("kernel", "userland"):
                rows.append(row(f"{name}: {label} ({backend} backend vs native)", unit,
                                med["native"], med[backend], None, "higher"))
        else:
            r = row(f"{name}: {label} (userland backend, pyinet to pyinet; no native here)",
                    unit, med["userland"], med["userland"], None, "higher")
            r["native"] = None
            r["ratio"] = None
            rows.append(r)
    return rows


def compile_bench() -> None:
    BENCH_EBIN.mkdir(parents=True, exist_ok=True)
    subprocess.run(["erlc", "-o", str(BENCH_EBIN), str(ROOT / "bench" / "pyinet_bench.erl")],
                   check=True)


def run_jobs(jobs: list[tuple]) -> dict:
    """Run (id, args) jobs in one node; {id: [results]}."""
    with tempfile.NamedTemporaryFile("w", suffix=".terms", delete=False) as f:
        for job_id, args in jobs:
            f.write("{%d, [%s]}.\n" % (job_id, ", ".join(_erl(a) for a in args)))
        path = f.name
    env = {**os.environ, "PYINET_PYTHON": os.environ.get("PYINET_PYTHON", sys.executable)}
    # Distributed (short name, loopback): the remote-owner workload starts a peer.
    cmd = ["erl", "+Q", "200000", "-noshell", "-sname", f"pyinet_bench_{os.getpid()}",
           "-pa", str(EBIN), "-pa", str(BENCH_EBIN),
           "-eval", f'pyinet_bench:jobs("{path}")']
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=7200)
    os.unlink(path)
    results = {}
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}."):
            job_id, rest = line[1:-2].split(",", 1)
            results[int(job_id)] = _parse_results(rest)
    if proc.returncode != 0 or not results:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"bench node failed ({proc.returncode})")
    return results


def _erl(value) -> str:
    return str(value)


def _parse_results(text: str) -> list:
    """[{result,Name,Unit,Value}, ...] as printed with ~0p: a tiny reader suffices."""
    out = []
    for part in text.split("{result,")[1:]:
        name, unit, value = part.split("}")[0].split(",")
        out.append((name.strip(), unit.strip().strip("'"), float(value)))
    if "failed" in text and not out:
        raise SystemExit(f"a workload failed: {text}")
    return out


def bench_network(quick: bool, reps: int, only: str | None) -> list[dict]:
    jobs, index = [], {}
    wls = [w for w in workloads() if only is None or only in w.name]
    if not wls:
        return []
    for rep in range(reps):
        for w in wls:
            for backend in ("native", "pyinet"):
                args = (w.quick_args if quick else w.args)
                job_id = len(jobs)
                jobs.append((job_id, [args[0], backend] + args[1:]))
                index[job_id] = (w, backend)
    results = run_jobs(jobs)
    samples: dict = {}
    for job_id, rows in results.items():
        w, backend = index[job_id]
        for metric, unit, value in rows:
            samples.setdefault((w.name, metric, unit), {}).setdefault(backend, []).append(value)
    rows = []
    for w in wls:
        for metric, (label, better, target, absolute) in w.metrics.items():
            found = [(k, v) for k, v in samples.items() if k[0] == w.name and k[1] == metric]
            if not found:
                continue
            (_, _, unit), values = found[0]
            native = statistics.median(values["native"])
            pyinet = statistics.median(values["pyinet"])
            name = f"{w.name}: {label}" if label else w.name
            rows.append(row(name, unit, native, pyinet, target, better, absolute))
    return rows


def row(name, unit, native, pyinet, target, better, absolute=False) -> dict:
    ratio = pyinet / native if native else None
    compared = pyinet if absolute else ratio
    met = None
    if target is not None and compared is not None:
        met = compared >= target if better == "higher" else compared <= target
    return {"name": name, "unit": unit, "native": round(native, 3), "pyinet": round(pyinet, 3),
            "ratio": round(ratio, 4) if ratio is not None else None, "target": target,
            "better": better, "met": met}


def bench_codec(quick: bool) -> list[dict]:
    sys.path.insert(0, str(ROOT / "bench"))
    import codec_bench

    rows = []
    for r in codec_bench.run(quick):
        # "native" here is erlang-py, the Python codec we are measured against.
        target = 0.1 if "64 B" in r["name"] and "enc+dec" in r["name"] else None
        rows.append(row(f"codec {r['name']} vs erlang-py", "us", r["erlang_py"], r["ours"],
                        target, "lower"))
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| workload | unit | native | pyinet | ratio | target | met |",
             "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        target = "" if r["target"] is None else (
            ("≥ " if r["better"] == "higher" else "≤ ") + f"{r['target']:g}")
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3g}"
        native = "n/a" if r["native"] is None else f"{r['native']:.4g}"
        lines.append(f"| {r['name']} | {r['unit']} | {native} | {r['pyinet']:.4g} | "
                     f"{ratio} | {target} | {met} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [r for r in rows if r["ratio"]]
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(shown) + 1.5))
    names = [r["name"] for r in shown]
    ratios = [r["ratio"] for r in shown]
    colors = ["#3a7" if r["met"] else ("#c44" if r["met"] is False else "#888") for r in shown]
    ax.barh(range(len(shown)), ratios, color=colors)
    for i, r in enumerate(shown):
        if r["target"] is not None and r["name"].startswith(("throughput", "ping", "connection", "codec")):
            ax.plot([r["target"]] * 2, [i - 0.4, i + 0.4], color="black", linewidth=2)
    ax.axvline(1.0, color="#555", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("pyinet / native (log scale); black tick = target; green met, red missed")
    ax.set_title("pyinet against native OTP (codec rows: against erlang-py)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run, under 2 minutes")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only", help="run the workloads whose name contains this")
    args = parser.parse_args()
    started = time.monotonic()
    compile_bench()
    rows = bench_network(args.quick, max(args.reps, 5), args.only)
    rows += bench_sctp(args.quick, max(args.reps, 3), args.only)
    if args.only is None or "codec" in args.only:
        rows += bench_codec(args.quick)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(rows, indent=2) + "\n")
    plot(rows, RESULTS / "latest.png")
    print(table(rows))
    print(f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s; "
          f"written {RESULTS / 'latest.json'} and {RESULTS / 'latest.png'}")


if __name__ == "__main__":
    main()
