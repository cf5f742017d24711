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

With --valhalla EXTRACT.osm.pbf (the extract DIR was exported from), also
isochrones beside the real Valhalla (PyPI's pyvalhalla, Python >= 3.12): its
tiles are built from the same extract, then `valhalla_service` with one worker
and `childcircle serve --threads 1 --age adult` (3.6 km/h, no crossing model)
get the same requests one after another -- 5/10/15-minute pedestrian polygons
at 3.6 km/h from graph nodes picked with a fixed seed -- and the time per
isochrone and the polygon IoU per contour are printed side by side.

    pip install -r benches/requirements.txt
    python3 benches/compare.py DIR [--cap 1000] [--tools scipy,networkx,pandana]
                              [--networkx-sample 200] [--repeat 3] [--json out.json]
                              [--valhalla EXTRACT --binary target/release/childcircle
                               --points 200]
"""
import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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


# ---------------------------------------------------------------- isochrones
VALHALLA_MINUTES = (5, 10, 15)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(addr, body):
    """(HTTP status, parsed body, seconds) of one POST /isochrone."""
    req = urllib.request.Request(f"http://{addr}/isochrone", data=body,
                                 headers={"Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            data, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        data, status = e.read(), e.code
    return status, json.loads(data), time.perf_counter() - t


def status_seconds(addr):
    """Seconds of one GET /status: the HTTP round trip and this client's own
    cost, with no search in it."""
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://{addr}/status", timeout=5) as r:
        r.read()
    return time.perf_counter() - t


def wait_ready(addr, proc, what):
    t = time.time()
    while time.time() - t < 120:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://{addr}/status", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    sys.exit(f"{what} never answered /status on {addr}")


def start_valhalla(extract, work):
    """Builds Valhalla's tiles of `extract` in `work`, starts valhalla_service
    with one worker thread: (process, address, seconds to build the tiles)."""
    import valhalla  # pyvalhalla: its executables and libraries ship in the wheel
    package = os.path.dirname(valhalla.__file__)
    binary = os.path.join(package, "bin")
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(os.path.dirname(package),
                                                        "pyvalhalla.libs"))
    tiles = os.path.join(work, "tiles")
    os.makedirs(tiles)
    port = free_port()
    config = valhalla.get_config(tile_extract="", tile_dir=tiles)
    service = config["httpd"]["service"]
    service["listen"] = f"tcp://127.0.0.1:{port}"
    service["loopback"] = f"ipc://{work}/loopback"
    service["interrupt"] = f"ipc://{work}/interrupt"
    path = os.path.join(work, "valhalla.json")
    with open(path, "w") as f:
        json.dump(config, f)
    t = time.perf_counter()
    subprocess.run([os.path.join(binary, "valhalla_build_tiles"), "-c", path, extract],
                   env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    built = time.perf_counter() - t
    proc = subprocess.Popen([os.path.join(binary, "valhalla_service"), path, "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"127.0.0.1:{port}", built


def start_ours(binary, extract):
    port = free_port()
    t = time.perf_counter()
    proc = subprocess.Popen([binary, "serve", extract, "--age", "adult", "--threads", "1",
                             "--bind", f"127.0.0.1:{port}", "-q"])
    addr = f"127.0.0.1:{port}"
    wait_ready(addr, proc, "childcircle serve")
    return proc, addr, time.perf_counter() - t


def iou(a, b):
    from shapely.geometry import shape
    pa, pb = shape(a).buffer(0), shape(b).buffer(0)
    union = pa.union(pb).area
    return pa.intersection(pb).area / union if union > 0 else 1.0


def run_valhalla(g, args):
    """The same isochrone requests to childcircle serve and valhalla_service,
    one worker each, one request at a time."""
    rng = np.random.default_rng(args.seed)
    body = lambda lon, lat: json.dumps({  # noqa: E731
        "locations": [{"lat": float(lat), "lon": float(lon)}],
        "costing": "pedestrian",
        "costing_options": {"pedestrian": {"walking_speed": 3.6}},
        "contours": [{"time": m} for m in VALHALLA_MINUTES],
        "polygons": True, "denoise": 1.0, "generalize": 10,
    }).encode()
    with tempfile.TemporaryDirectory() as work:
        print("building Valhalla's tiles ...", file=sys.stderr, flush=True)
        valhalla, v_addr, built = start_valhalla(args.valhalla, work)
        ours, o_addr, loaded = start_ours(args.binary, args.valhalla)
        try:
            wait_ready(v_addr, valhalla, "valhalla_service")
            picks = rng.choice(g.n, size=min(g.n, args.points * 3), replace=False)
            bodies = [body(g.x[i], g.y[i]) for i in picks]
            for b in bodies[:5]:  # warm-up: caches, first allocations
                post(o_addr, b), post(v_addr, b)
            floor = {k: float(np.median([status_seconds(a) for _ in range(50)]))
                     for k, a in (("childcircle", o_addr), ("valhalla", v_addr))}
            times = {"childcircle": [], "valhalla": []}
            ious = [[] for _ in VALHALLA_MINUTES]
            for b in bodies:
                if len(times["valhalla"]) >= args.points:
                    break
                sa, a, ta = post(o_addr, b)
                sb, v, tb = post(v_addr, b)
                if sa != 200 or sb != 200 or len(a["features"]) != len(v["features"]):
                    continue  # off one network (a footway-only node, a ferry)
                times["childcircle"].append(ta)
                times["valhalla"].append(tb)
                # Both list the largest contour first.
                for k, (fa, fv) in enumerate(zip(a["features"], v["features"])):
                    ious[len(VALHALLA_MINUTES) - 1 - k].append(
                        iou(fa["geometry"], fv["geometry"]))
        finally:
            for p in (ours, valhalla):
                p.terminate()
                p.wait()
    return {"tiles_seconds": built, "ours_load_seconds": loaded, "points": len(ious[0]),
            "ms": {k: 1000 * float(np.median(v)) for k, v in times.items()},
            "mean_ms": {k: 1000 * float(np.mean(v)) for k, v in times.items()},
            "status_ms": {k: 1000 * v for k, v in floor.items()},
            "iou_median": [float(np.median(v)) for v in ious],
            "iou_min": [float(np.min(v)) for v in ious]}


def print_valhalla(r, extract):
    ours, theirs = r["ms"]["childcircle"], r["ms"]["valhalla"]
    print(f"\nIsochrones on {extract}: {r['points']} requests of 5/10/15-minute pedestrian "
          "polygons at 3.6 km/h, one worker thread each, one request at a time over HTTP "
          "on loopback (request to parsed answer)\n")
    print("| engine | setup s | ms per isochrone, median (mean) | childcircle faster (×) "
          "| IoU with childcircle, median (min) per contour |")
    print("|---|---|---|---|---|")
    print(f"| childcircle serve | {r['ours_load_seconds']:.2f} (load) | {ours:.2f} "
          f"({r['mean_ms']['childcircle']:.2f}) | 1 | reference |")
    agree = " / ".join(f"{m} min {med:.2f} ({lo:.2f})" for m, med, lo in
                       zip(VALHALLA_MINUTES, r["iou_median"], r["iou_min"]))
    print(f"| valhalla_service | {r['tiles_seconds']:.2f} (tiles) | {theirs:.2f} "
          f"({r['mean_ms']['valhalla']:.2f}) | {theirs / ours:.1f} | {agree} |")
    floor = r["status_ms"]
    print(f"\nA GET /status, the round trip with no search, took {floor['childcircle']:.2f} ms "
          f"(childcircle) and {floor['valhalla']:.2f} ms (Valhalla); without it the "
          f"isochrones take {ours - floor['childcircle']:.2f} and "
          f"{theirs - floor['valhalla']:.2f} ms: "
          f"{(theirs - floor['valhalla']) / (ours - floor['childcircle']):.1f}x.")


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
    p.add_argument("--valhalla", metavar="EXTRACT",
                   help="also compare isochrones with the real Valhalla on this extract "
                        "(the one DIR was exported from)")
    p.add_argument("--binary", default="target/release/childcircle",
                   help="the childcircle binary that serves isochrones (with --valhalla)")
    p.add_argument("--points", type=int, default=200,
                   help="isochrone requests compared (with --valhalla)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the isochrone points")
    args = p.parse_args()
    args.tools = ",".join(t for t in args.tools.split(",") if t)
    unknown = set(filter(None, args.tools.split(","))) - set(TOOLS)
    if unknown:
        p.error(f"unknown tool(s) {', '.join(sorted(unknown))}; choose from {', '.join(TOOLS)}")

    g = load(args.dir, args.cap)
    ours = g.ours
    machine = machine_line()  # before our own load raises the load average
    results, skipped, failed = {}, {}, []
    for name in filter(None, args.tools.split(",")):
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

    isochrones = None
    if args.valhalla:
        isochrones = run_valhalla(g, args)
        print_valhalla(isochrones, args.valhalla)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "childcircle": ours, "skipped": skipped,
                       "tools": {k: {f: r.get(f) for f in JSON_FIELDS}
                                 for k, r in results.items()},
                       "isochrones": isochrones}, f, indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
