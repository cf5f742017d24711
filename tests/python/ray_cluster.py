"""Ray driver on a real two-node Ray cluster on loopback (driven by tests/tiles.rs).

Usage: ray_cluster.py CHILDCIRCLE EXTRACT TILE_DEG WORKDIR

1. the single-process run: ``childcircle analyze --no-isochrones``;
2. a local Ray (``ray.init()`` on one machine, what a laptop runs; Ray 2.60
   removed ``local_mode``): the merged communities equal the single run (hash);
3. ``ray start --head`` + a second ``ray start --address`` (two raylets, one
   CPU each): the merged result equals the single run; a rerun skips every
   tile; ``kill -9`` of one task's process mid-job (held by a wrapper before it
   execs the CLI, so the kill always lands) gives the same hash (the task is
   retried); a tile that always fails (its extract truncated)
   stops the job with a message naming the tile.

Prints one JSON line of figures (``FIGURES {...}``) for the README.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import ray

from childcircle_ray import TileFailed, run

BIN, EXTRACT, TILE_DEG, WORK = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
PY = sys.executable


def sh(*args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{args} failed: {r.stderr}"
    return r


def sorted_hash(path: Path) -> str:
    """sha256 of a layer with its features sorted by id (as merge writes it)."""
    lines = path.read_text().split("\n")
    head, tail = lines[0], lines[-2:]
    feats = [l.rstrip(",") for l in lines[1:-2] if l]
    feats.sort(key=lambda l: (json.loads(l)["properties"]["id"], l))
    text = head + "\n" + ",\n".join(feats) + "\n" + "\n".join(tail)
    return hashlib.sha256(text.encode()).hexdigest()


def merged_hash(out: Path) -> str:
    return hashlib.sha256((out / "communities.geojson").read_bytes()).hexdigest()


def fresh_plan(name: str) -> Path:
    d = WORK / name
    shutil.copytree(WORK / "plan0", d)
    return d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Two Ray nodes on loopback, each its own `ray start --block` process
    group, stopped by their process ids."""

    def __init__(self):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.temp = WORK / "ray"
        self.procs = []
        common = ["--block", "--num-cpus=1", "--disable-usage-stats"]
        self.start(
            "head",
            ["--head", f"--port={self.port}", "--node-ip-address=127.0.0.1",
             "--include-dashboard=false", f"--temp-dir={self.temp}"] + common,
        )
        self.wait_nodes(1)
        self.start(
            "worker",
            [f"--address={self.address}", "--node-ip-address=127.0.0.1"] + common,
        )
        self.wait_nodes(2)

    def start(self, name, args):
        log = open(WORK / f"ray-{name}.log", "w")
        p = subprocess.Popen(
            [Path(PY).parent / "ray", "start", *args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.procs.append(p)

    def wait_nodes(self, n):
        code = (
            "import ray,sys; ray.init(address=sys.argv[1]); "
            "print(sum(1 for x in ray.nodes() if x['Alive']))"
        )
        for _ in range(120):
            r = subprocess.run([PY, "-c", code, self.address], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout.strip().splitlines()[-1:] == [str(n)]:
                return
            time.sleep(1)
        raise AssertionError(f"the Ray cluster never had {n} nodes: {r.stderr[-2000:]}")

    def stop(self):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    figures = {}
    t = time.time()
    sh(BIN, "--quiet", "analyze", EXTRACT, "--no-isochrones", "--out", WORK / "single")
    figures["single_seconds"] = time.time() - t
    want = sorted_hash(WORK / "single" / "communities.geojson")
    sh(BIN, "--quiet", "plan", EXTRACT, "--tile-deg", TILE_DEG, "--out", WORK / "plan0")
    tiles = json.loads((WORK / "plan0" / "plan.json").read_text())["tiles"]
    assert len(tiles) >= 9, f"only {len(tiles)} tiles"
    print(f"{len(tiles)} tiles; single-run sorted hash {want}", flush=True)

    # A local Ray (a laptop).
    d = fresh_plan("local")
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        report = run(d, WORK / "out-local", BIN)
    finally:
        ray.shutdown()
    assert merged_hash(WORK / "out-local") == want, "local Ray: merged result differs"
    assert report["ran"] == len(tiles)
    print("local Ray: same hash", flush=True)

    cluster = Cluster()
    try:
        ray.init(address=cluster.address)
        # A whole job on two nodes.
        d = fresh_plan("cluster")
        t = time.time()
        report = run(d, WORK / "out-cluster", BIN)
        figures["cluster_seconds"] = time.time() - t
        assert merged_hash(WORK / "out-cluster") == want, "cluster: merged result differs"
        nodes = {task["node"] for task in report["tasks"]}
        assert len(nodes) == 2, f"the tasks ran on {len(nodes)} node(s), not both"
        busy = sum(task["seconds"] for task in report["tasks"])
        figures["tasks"] = len(report["tasks"])
        figures["task_cli_seconds"] = busy
        # Two one-CPU nodes: what the slots spent beyond the CLI, per task.
        figures["ray_overhead_per_task_s"] = (2 * report["tiles_seconds"] - busy) / len(tiles)
        print(f"cluster: same hash; tasks ran on both nodes", flush=True)
        # A rerun skips every finished tile.
        again = run(d, WORK / "out-again", BIN)
        assert again["ran"] == 0 and len(again["skipped"]) == len(tiles), again
        assert merged_hash(WORK / "out-again") == want

        # kill -9 of one task's CLI process mid-job: retried, same hash.
        d = fresh_plan("killed")
        victim = len(tiles) // 2
        pidfile = d / "tiles" / str(victim) / "pid"
        # The victim's first attempt waits before it runs the CLI, so the kill always lands mid-task (a
        # fast tile could otherwise finish before the test sees its pid); later attempts run at once.
        slow_first = WORK / "slow-first.sh"
        slow_first.write_text(
            "#!/bin/sh\n"
            f'case " $* " in *" --index {victim} "*)\n'
            f'  if [ ! -e "{WORK}/victim-started" ]; then : > "{WORK}/victim-started"; '
            "sleep 120 </dev/null >/dev/null 2>&1; fi;;\n"
            "esac\n"
            f'exec "{BIN}" "$@"\n'
        )
        slow_first.chmod(0o755)
        job = subprocess.Popen(
            [PY, "-m", "childcircle_ray", d, "--out", WORK / "out-killed", "--binary", slow_first,
             "--address", cluster.address, "--report", WORK / "killed.json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        killed = False
        t = time.time()
        while job.poll() is None and not killed:
            if pidfile.is_file():
                pid = int(pidfile.read_text())
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed = True
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        out, err = job.communicate(timeout=1800)
        figures["killed_job_seconds"] = time.time() - t
        assert killed, "the victim tile finished before it could be killed"
        assert job.returncode == 0, f"the job with a killed task failed: {err[-3000:]}"
        assert merged_hash(WORK / "out-killed") == want, "kill -9: merged result differs"
        attempts = json.loads((WORK / "killed.json").read_text())["attempts"]
        assert attempts[str(victim)] >= 2, attempts
        print(f"kill -9 of tile {victim}'s process: retried ({attempts[str(victim)]} attempts), same hash", flush=True)

        # A tile that always fails stops the job, naming the tile.
        d = fresh_plan("broken")
        broken = 1
        pbf = d / "tiles" / str(broken) / "extract.osm.pbf"
        data = pbf.read_bytes()
        pbf.write_bytes(data[: len(data) // 2])
        try:
            run(d, WORK / "out-broken", BIN, retries=1)
            raise AssertionError("a tile with a truncated extract did not stop the job")
        except TileFailed as e:
            message = str(e)
        assert f"tile {broken} (" in message, message
        assert "truncated" in message, message
        assert not (WORK / "out-broken" / "communities.geojson").exists()
        print(f"failing tile stops the job: {message}", flush=True)
    finally:
        ray.shutdown()
        cluster.stop()
    print("FIGURES " + json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
