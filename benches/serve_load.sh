#!/usr/bin/env bash
# Load benchmark (not a test): requests/s and p50/p99 latency of Valhalla
# isochrone requests at 1, 16 and 256 connections, against `childcircle serve`
# and the real valhalla_service (pyvalhalla) on the same extract, both with
# WORKERS search threads. Needs `wrk` (Debian) and the test venv
# (python/setup-test-venv.sh). Usage:
#   benches/serve_load.sh [EXTRACT] [BBOX|nodes] [SECONDS]
# With `nodes` instead of a box, requests start 20 m or so off 256 seeded
# graph nodes of the extract (from `childcircle export-graph`), as on a
# city-scale model most of a box is off the network. Columns: all answers per
# second, the 2xx among them, and latency over all answers (wrk's); the
# server answers 503 at once when its queue is full instead of queueing.
set -euo pipefail
cd "$(dirname "$0")/.."
extract="${1:-data/osm/monaco.osm.pbf}"
export BBOX="${2:-7.415,43.728,7.430,43.745}"
secs="${3:-10}"
workers="${WORKERS:-2}"
venv="${CHILDCIRCLE_TEST_VENV:-target/serve-venv}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cargo build --release -q || exit 1
if [ "$BBOX" = nodes ]; then
  target/release/childcircle export-graph "$extract" --out "$work/graph" -q >/dev/null
  "$venv/bin/python" - "$work" <<'PY'
import csv, random, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/graph/nodes.csv")))
rng = random.Random(16)
with open(d + "/points.csv", "w") as f:
    for r in rng.sample(rows, 256):
        f.write(f"{float(r['lon']) + 0.0002:.6f},{float(r['lat']) - 0.0001:.6f}\n")
PY
  export POINTS="$work/points.csv"
fi
site="$("$venv/bin/python" -c 'import valhalla, pathlib; print(pathlib.Path(valhalla.__file__).parent)')"
export LD_LIBRARY_PATH="$site/../pyvalhalla.libs"
mkdir -p "$work/tiles"
"$venv/bin/python" - "$work" <<'PY'
import json, sys
from valhalla import get_config
d = sys.argv[1]
c = get_config(tile_extract="", tile_dir=d + "/tiles")
s = c["httpd"]["service"]
s["listen"], s["loopback"], s["interrupt"] = "tcp://127.0.0.1:18102", f"ipc://{d}/lb", f"ipc://{d}/int"
json.dump(c, open(d + "/valhalla.json", "w"))
PY
"$site/bin/valhalla_build_tiles" -c "$work/valhalla.json" "$extract" >/dev/null 2>&1
"$site/bin/valhalla_service" "$work/valhalla.json" "$workers" >"$work/valhalla.log" 2>&1 &
pids+=($!)
target/release/childcircle serve "$extract" --bind 127.0.0.1:18101 --threads "$workers" --age adult -q &
pids+=($!)
for port in 18101 18102; do
  tries=0
  until curl -sf -m 2 --noproxy "*" "http://127.0.0.1:$port/status" >/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 100 ] || { echo "server on port $port never became ready" >&2; tail -5 "$work/valhalla.log" >&2; exit 1; }
    sleep 0.2
  done
done
printf '%-12s %6s %10s %10s %10s %10s\n' server conns 'req/s' '2xx/s' p50 p99
for name in childcircle valhalla; do
  port=$([ $name = childcircle ] && echo 18101 || echo 18102)
  for c in 1 16 256; do
    out="$(wrk -t$(( c < 2 ? c : 2 )) -c$c -d${secs}s --latency -s benches/serve_load.lua "http://127.0.0.1:$port" 2>&1)"
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
    p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
    total="$(awk '/requests in/ {print $1}' <<<"$out")"
    bad="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
    ok="$(awk -v r="$rps" -v t="$total" -v b="${bad:-0}" 'BEGIN {printf "%.0f", (t > 0 ? r * (t - b) / t : 0)}')"
    printf '%-12s %6s %10s %10s %10s %10s\n' "$name" "$c" "$rps" "$ok" "$p50" "$p99"
  done
done
