#!/usr/bin/env python3
"""Side-by-side comparison of childcircle with scipy, networkx and pandana.

All tools run the same two tasks on the same walking graph, exported by
`childcircle export-graph EXTRACT.osm.pbf --out DIR`:

  Task A: every node's distance to the nearest facility of each category,
          capped at CAP metres.
  Task B: the CAP-metre reach of each facility (nodes within CAP of it);
          the total number of nodes reached is the checksum.

childcircle's own timings come from DIR/childcircle_tasks.json (measured in
the binary, graph already in memory); the other tools are timed here, also
without loading. Every result is checked against ours.

    pip install -r benches/requirements.txt
    python3 benches/compare.py DIR [--cap 1000] [--tools scipy,networkx,pandana]
                              [--networkx-sample 200] [--repeat 3] [--json out.json]
"""
import argparse
import json
import os
import platform
import sys
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

TOLERANCE_M = 0.15
# Sources per task-B batch: scipy returns a dense row of n float64 per source,
# and pandana a DataFrame row per node reached. Small batches keep memory bounded
# and, for scipy, measured faster and steadier than large ones.
BATCH_BYTES = 16 << 20


def timed(fn, repeat):
    """Best of `repeat` runs of fn(): (seconds, result). The best run is the
    tool's steady state, free of first-call allocation and page-fault noise."""
    best = result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def load(directory, cap_m):
    """Reads the export. Lengths become whole decimetres (exact, as our engine
    weighs them) so that float sums cannot land just past the cap."""
    def path(name):
        return os.path.join(directory, name)

    with open(path("childcircle_tasks.json")) as f:
        ours = json.load(f)
    if abs(ours["cap_m"] - cap_m) > 1e-9:
        sys.exit(f"--cap {cap_m} differs from the export's cap {ours['cap_m']}: "
                 f"re-export with --cap {cap_m:g}")
    nodes = pd.read_csv(path("nodes.csv")).sort_values("id")
    edges = pd.read_csv(path("edges.csv"))
    edges["w"] = np.rint(edges.length_m * 10).astype(np.int64)
    # The export may hold parallel edges; a shortest path only ever uses the
    # shortest, while scipy would add them up and networkx keep the last one.
    edges["a"] = np.minimum(edges.u, edges.v)
    edges["b"] = np.maximum(edges.u, edges.v)
    edges = edges.groupby(["a", "b"], as_index=False).w.min()
    facilities = pd.read_csv(path("facilities.csv"))
    n = len(nodes)
    by_cat = {c: np.unique(rows.node.to_numpy())
              for c, rows in facilities.groupby("category")}
    theirs = pd.read_csv(path("distances_a.csv"))
    ours_a = {c: np.full(n, np.inf) for c in by_cat}
    for c, rows in theirs.groupby("category"):
        ours_a.setdefault(c, np.full(n, np.inf))[rows.node.to_numpy()] = \
            np.rint(rows.distance_m * 10)
    return SimpleNamespace(
        n=n, x=nodes.lon.to_numpy(), y=nodes.lat.to_numpy(),
        u=edges.a.to_numpy(), v=edges.b.to_numpy(), w=edges.w.to_numpy(np.float64),
        by_cat=by_cat, sources=np.unique(facilities.node.to_numpy()),
        cap_dm=float(round(cap_m * 10)), ours=ours, ours_a=ours_a)


def run_scipy(g, args):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    t = time.perf_counter()
    G = csr_matrix((np.concatenate([g.w, g.w]),
                    (np.concatenate([g.u, g.v]), np.concatenate([g.v, g.u]))),
                   shape=(g.n, g.n))
    setup = time.perf_counter() - t

    # directed=True on the symmetric matrix is the same undirected search;
    # directed=False would have scipy also transpose and scan G on every call,
    # measured 10-30% slower here.
    task_a, dist = timed(lambda: {
        c: dijkstra(G, directed=True, indices=src, min_only=True, limit=g.cap_dm)
        for c, src in g.by_cat.items()}, args.repeat)

    batch = max(1, BATCH_BYTES // (8 * g.n))
    task_b, counts = timed(lambda: [
        np.isfinite(dijkstra(G, directed=True, indices=g.sources[i:i + batch],
                             limit=g.cap_dm)).sum(axis=1)
        for i in range(0, len(g.sources), batch)], args.repeat)
    return dict(threads="1", setup=setup, task_a=task_a, task_b=task_b, dist=dist,
                reach=pd.Series(np.concatenate(counts), index=g.sources))


def run_networkx(g, args):
    import networkx as nx

    t = time.perf_counter()
    G = nx.Graph()
    G.add_nodes_from(range(g.n))
    G.add_weighted_edges_from(zip(g.u.tolist(), g.v.tolist(), g.w.tolist()), weight="dm")
    setup = time.perf_counter() - t

    task_a, found = timed(lambda: {
        c: nx.multi_source_dijkstra_path_length(G, src.tolist(), cutoff=g.cap_dm, weight="dm")
        for c, src in g.by_cat.items()}, args.repeat)
    dist = {}
    for c, d in found.items():
        dist[c] = np.full(g.n, np.inf)
        dist[c][list(d.keys())] = list(d.values())

    # Pure-Python searches make a full task B take minutes on a large city:
    # time a fixed random sample of facilities and scale up to all of them.
    size = min(args.networkx_sample, len(g.sources)) or len(g.sources)
    sample = np.sort(np.random.default_rng(0).choice(g.sources, size, replace=False))
    task_b, counts = timed(lambda: [
        len(nx.single_source_dijkstra_path_length(G, s, cutoff=g.cap_dm, weight="dm"))
        for s in sample.tolist()], args.repeat)
    task_b *= len(g.sources) / size
    return dict(threads="1", setup=setup, task_a=task_a, task_b=task_b, dist=dist,
                reach=pd.Series(counts, index=sample),
                b_note=None if size == len(g.sources)
                else f"extrapolated from {size} of {len(g.sources)} facilities")


def run_pandana(g, args):
    import pandana

    threads = os.environ.get("OMP_NUM_THREADS", str(os.cpu_count()))
    t = time.perf_counter()
    net = pandana.Network(pd.Series(g.x), pd.Series(g.y), pd.Series(g.u), pd.Series(g.v),
                          pd.DataFrame({"dm": g.w}))
    setup = time.perf_counter() - t

    # pandana snaps POIs to the nearest node by coordinates, so hand it the
    # facility nodes' own coordinates (nodes sharing a position may swap).
    def task_a():
        dist = {}
        for c, src in g.by_cat.items():
            net.set_pois(c, maxdist=g.cap_dm, maxitems=1,
                         x_col=pd.Series(g.x[src]), y_col=pd.Series(g.y[src]))
            dist[c] = net.nearest_pois(g.cap_dm, c, num_pois=1,
                                       max_distance=np.inf)[1].to_numpy(np.float64)
        return dist

    # nodes_in_range is pandana's direct equivalent of task B: range queries
    # from each source over the contraction hierarchy, returned as DataFrames.
    # A batch holds about BATCH_BYTES of (source, node, distance) rows.
    mean_reach = max(1, g.ours["task_b_nodes_reached"] // max(1, len(g.sources)))
    batch = max(1, BATCH_BYTES // (24 * mean_reach))

    def task_b():
        return pd.concat([net.nodes_in_range(g.sources[i:i + batch], g.cap_dm)
                          .groupby("source").size()
                          for i in range(0, len(g.sources), batch)])

    a_seconds, dist = timed(task_a, args.repeat)
    b_seconds, reach = timed(task_b, args.repeat)
    return dict(threads=f"{threads} (OpenMP)", setup=setup, task_a=a_seconds,
                task_b=b_seconds, dist=dist, reach=reach.reindex(g.sources, fill_value=0))


JSON_FIELDS = ("threads", "setup", "task_a", "task_b", "b_note", "agrees", "check")
TOOLS = {"scipy": run_scipy, "networkx": run_networkx, "pandana": run_pandana}


def check(g, result, reference_reach):
    """Compares task A with our distances and task B with our reach; returns
    (agrees, text for the table)."""
    compared = mismatches = 0
    max_diff = 0.0
    for c, ours in g.ours_a.items():
        theirs = result["dist"].get(c, np.full(g.n, np.inf))
        a, b = np.isfinite(ours), np.isfinite(theirs)
        both = a & b
        diff = np.abs(ours[both] - theirs[both]) / 10
        compared += int((a | b).sum())
        mismatches += int((a != b).sum() + (diff > TOLERANCE_M).sum())
        max_diff = max(max_diff, float(diff.max(initial=0.0)))
    reach = result["reach"]
    if len(reach) == len(g.sources):
        want, got = g.ours["task_b_nodes_reached"], int(reach.sum())
        reach_ok, reach_text = want == got, f"reach {got}" + ("" if want == got else f" ≠ {want}")
    elif reference_reach is not None:
        want = reference_reach.loc[reach.index]
        bad = int((want != reach).sum())
        reach_ok, reach_text = bad == 0, f"sample reach: {bad} of {len(reach)} differ from scipy"
    else:
        reach_ok, reach_text = True, "sample reach not checked (needs scipy)"
    agrees = mismatches == 0 and reach_ok
    text = (f"{'yes' if agrees else '**NO**'}: {mismatches} of {compared} node-category "
            f"pairs differ, max Δ {max_diff:.2f} m; {reach_text}")
    return agrees, text


def machine_line():
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    # Load average: other work on the machine is the usual cause of odd timings.
    return (f"{platform.platform()}, {cpu}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir", help="directory written by `childcircle export-graph`")
    p.add_argument("--cap", type=float, default=1000.0, help="distance cap, metres")
    p.add_argument("--tools", default="scipy,networkx,pandana")
    p.add_argument("--networkx-sample", type=int, default=200,
                   help="facilities timed for networkx task B (0: all)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs of each timed task per tool; the best is reported")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args()
    unknown = set(args.tools.split(",")) - set(TOOLS)
    if unknown:
        p.error(f"unknown tool(s) {', '.join(sorted(unknown))}; choose from {', '.join(TOOLS)}")

    g = load(args.dir, args.cap)
    ours = g.ours
    machine = machine_line()  # before our own load raises the load average
    results, skipped, failed = {}, {}, []
    for name in args.tools.split(","):
        try:
            __import__(name)
        except Exception as e:  # a broken build fails with more than ImportError
            skipped[name] = f"not installed ({type(e).__name__}: {e})"
            print(f"{name}: {skipped[name]}")
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        r = TOOLS[name](g, args)
        scipy_reach = results.get("scipy", {}).get("reach")
        scipy_ok = "scipy" in results and results["scipy"]["agrees"]
        r["agrees"], r["check"] = check(g, r, scipy_reach if scipy_ok else None)
        results[name] = r
        # pandana's POI snapping may legitimately move a facility: report only.
        if not r["agrees"] and name != "pandana":
            failed.append(name)

    def ratio(x):
        return f"{x:.1f}" if x < 10 else f"{x:.0f}"

    def speedup(r):
        return (f"{ratio(r['task_a'] / ours['task_a_seconds'])} / "
                f"{ratio(r['task_b'] / ours['task_b_seconds'])}")

    print(f"\nMachine: {machine}")
    print(f"Graph: {ours['nodes']} nodes, {ours['edges']} edges "
          f"({len(g.u)} after merging parallel edges), {len(g.sources)} facility nodes "
          f"in {len(g.by_cat)} categories with facilities (of {ours['categories']}), "
          f"cap {args.cap:g} m; {ours['task_b_nodes_reached']} nodes reached in task B\n")
    print("| tool | threads | setup s | task A s | task B s | speed-up of childcircle (×, A / B) "
          "| distances agree |")
    print("|---|---|---|---|---|---|---|")
    print(f"| childcircle | {ours['threads']} | – | {ours['task_a_seconds']:.4f} | "
          f"{ours['task_b_seconds']:.4f} | 1 / 1 | reference |")
    for name, r in results.items():
        b = f"{r['task_b']:.3f}" + ("*" if r.get("b_note") else "")
        print(f"| {name} | {r['threads']} | {r['setup']:.3f} | {r['task_a']:.3f} | {b} | "
              f"{speedup(r)} | {r['check']} |")
    print()
    for name, r in results.items():
        if r.get("b_note"):
            print(f"\\* {name} task B: {r['b_note']}.")
    print(f"childcircle: {ours['threads']} threads (rayon), best of 5 runs timed inside the binary "
          f"by export-graph. Other tools: best of {args.repeat} runs; scipy and networkx are "
          "single-threaded; pandana's setup is its contraction hierarchy, its queries run "
          "in parallel with OpenMP. Loading is never timed.")
    for name, reason in skipped.items():
        print(f"{name}: {reason}.")
    if failed:
        print(f"\nFAILED: {', '.join(failed)} disagree with childcircle beyond "
              f"{TOLERANCE_M} m or on reach counts", file=sys.stderr)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "childcircle": ours, "skipped": skipped,
                       "tools": {k: {f: r.get(f) for f in JSON_FIELDS}
                                 for k, r in results.items()}}, f, indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
