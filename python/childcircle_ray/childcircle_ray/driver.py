"""Run the tiles of a ``childcircle plan`` directory as Ray tasks, then merge.

Each task calls ``childcircle tile DIR --index i`` as a subprocess with
``RAYON_NUM_THREADS`` set to the CPUs it asked for, and asks Ray for the memory
the plan estimates for the tile. A failed task (the CLI exits non-zero, or its
process or worker dies) is retried; finished tiles (``tiles/<i>/done``) are
skipped, so a rerun only does what is left. When every tile is finished the
driver runs ``childcircle merge DIR --out OUT``.

Usage::

    python -m childcircle_ray PLAN_DIR --out OUT [--address auto]

Without ``--address`` it starts a local Ray on this machine (Ray 2.60 has no
``local_mode`` any more; a local Ray is what a laptop runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ray

#: Memory asked for a tile whose plan gives no estimate, bytes.
DEFAULT_MEMORY = 512 << 20


class TileFailed(RuntimeError):
    """The CLI failed on a tile; the message names the tile."""


def tile_dir(plan_dir: Path, index: int) -> Path:
    return plan_dir / "tiles" / str(index)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


@ray.remote
def run_tile(binary: str, plan_dir: str, index: int, key: str, threads: int) -> dict:
    """One tile, in a subprocess; records its pid and each attempt."""
    tdir = tile_dir(Path(plan_dir), index)
    with open(tdir / "attempts", "a") as f:
        f.write(f"{time.time():.3f} {os.uname().nodename} {os.getpid()}\n")
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    start = time.time()
    proc = subprocess.Popen(
        [binary, "--quiet", "tile", plan_dir, "--index", str(index)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    _write_atomic(tdir / "pid", str(proc.pid))
    _, err = proc.communicate()
    seconds = time.time() - start
    if proc.returncode != 0:
        last = err.strip().splitlines()[-1] if err.strip() else ""
        raise TileFailed(
            f"tile {index} ({key}): childcircle tile exited with {proc.returncode}: {last}"
        )
    node = ray.get_runtime_context().get_node_id()
    return {"index": index, "seconds": seconds, "node": node}


def run(
    plan_dir: Path,
    out: Path,
    binary: str = "childcircle",
    cpus_per_task: int = 1,
    retries: int = 2,
    merge_args: tuple = (),
) -> dict:
    """Runs the unfinished tiles on the connected Ray cluster, then merges.

    Returns a report: tiles run and skipped, attempts per tile, per-task
    wall seconds in the CLI and as seen by the driver (their difference is
    Ray's overhead per task). Raises ``TileFailed`` naming the first tile
    that failed after its retries. ``merge_args`` go to ``childcircle merge``
    (e.g. ``("--districts", "d.geojson", "--target", "0.3")``).
    """
    plan_dir = Path(plan_dir).resolve()
    plan = json.loads((plan_dir / "plan.json").read_text())
    started = time.time()
    pending = {}
    skipped = []
    for t in plan["tiles"]:
        i = t["index"]
        if (tile_dir(plan_dir, i) / "done").is_file():
            skipped.append(i)
            continue
        memory = int(t.get("memory_bytes") or DEFAULT_MEMORY)
        ref = run_tile.options(
            num_cpus=cpus_per_task,
            memory=memory,
            max_retries=retries,
            retry_exceptions=True,
        ).remote(binary, str(plan_dir), i, t["key"], cpus_per_task)
        pending[ref] = (i, time.time())
    tasks = []
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        ref = ready[0]
        i, submitted = pending.pop(ref)
        try:
            result = ray.get(ref)
        except ray.exceptions.RayTaskError as e:
            for other in pending:
                ray.cancel(other, force=True)
            cause = e.cause if isinstance(e.cause, TileFailed) else e
            raise TileFailed(f"{cause} (after {retries + 1} attempts)") from None
        except ray.exceptions.RayError as e:
            for other in pending:
                ray.cancel(other, force=True)
            raise TileFailed(f"tile {i}: {type(e).__name__}: {e}") from None
        result["driver_seconds"] = time.time() - submitted
        tasks.append(result)
    tiles_seconds = time.time() - started
    attempts = {}
    for t in plan["tiles"]:
        f = tile_dir(plan_dir, t["index"]) / "attempts"
        if f.is_file():
            attempts[t["index"]] = len(f.read_text().splitlines())
    merge = subprocess.run(
        [binary, "--quiet", "merge", str(plan_dir), "--out", str(out), *merge_args],
        capture_output=True,
        text=True,
    )
    if merge.returncode != 0:
        raise TileFailed(f"merge failed: {merge.stderr.strip()}")
    return {
        "tiles": len(plan["tiles"]),
        "ran": len(tasks),
        "skipped": skipped,
        "attempts": attempts,
        "tasks": sorted(tasks, key=lambda t: t["index"]),
        "tiles_seconds": tiles_seconds,
        "seconds": time.time() - started,
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="childcircle-ray", description=__doc__.split("\n")[0])
    p.add_argument("plan_dir", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--binary", default="childcircle", help="the childcircle executable")
    p.add_argument("--address", help="Ray cluster address (e.g. auto); default: a local Ray")
    p.add_argument("--cpus-per-task", type=int, default=1)
    p.add_argument("--retries", type=int, default=2)
    p.add_argument("--report", type=Path, help="write the run report (JSON) here")
    p.add_argument("--districts", type=Path, help="district polygons for districts.csv (merge)")
    p.add_argument("--target", type=float, help="life-circle target share for districts.csv (merge)")
    args = p.parse_args(argv)
    merge_args = []
    if args.districts:
        merge_args += ["--districts", str(args.districts.resolve())]
    if args.target is not None:
        merge_args += ["--target", str(args.target)]
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(include_dashboard=False)
    try:
        report = run(
            args.plan_dir,
            args.out,
            args.binary,
            args.cpus_per_task,
            args.retries,
            tuple(merge_args),
        )
    except TileFailed as e:
        print(f"childcircle-ray: error: {e}", file=sys.stderr)
        return 1
    finally:
        ray.shutdown()
    if args.report:
        _write_atomic(args.report, json.dumps(report, indent=2))
    print(
        f"{report['ran']} tiles run, {len(report['skipped'])} skipped, "
        f"{report['seconds']:.1f} s; merged into {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
