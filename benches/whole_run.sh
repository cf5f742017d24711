#!/usr/bin/env bash
# The whole `analyze` run of two builds in turn on the same file: the code a piece of performance work
# starts from (a git revision) against the working tree, A B A B …, with /usr/bin/time's wall time and
# peak memory for each run and the median of each (issue 14, goal 2).
#
#   benches/whole_run.sh REV [EXTRACT] [RUNS]
#
# REV is built in a git worktree under target/whole-run/; EXTRACT defaults to the prefecture model
# (made with `childcircle synth --region prefecture`); RUNS defaults to 3. Outputs go to temporary
# directories; the two builds' outputs are compared too (summary.json without its timings), since
# performance work must not change them.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: benches/whole_run.sh REV [EXTRACT] [RUNS]}
runs=${3:-3}
work=target/whole-run
mkdir -p "$work"
before="$work/before-$(git rev-parse --short "$rev")"
if [ ! -d "$before" ]; then
  git worktree add -q --detach "$before" "$rev"
fi
(cd "$before" && CARGO_TARGET_DIR="$PWD/../target-before" cargo build --release -q)
cargo build --release -q
old="$work/target-before/release/childcircle"
new=target/release/childcircle
extract=${2:-$work/prefecture.osm.pbf}
if [ ! -f "$extract" ]; then
  "$new" synth --region prefecture --out "$extract" -q
fi
one() { # build label → "wall_s max_rss_kib"
  local out; out=$(mktemp -d)
  /usr/bin/time -f "%e %M" -o "$out/time" "$1" analyze "$extract" --out "$out/o" -q
  cat "$out/time"; rm -rf "$out"
}
declare -a wall_a wall_b rss_a rss_b
for i in $(seq "$runs"); do
  read -r w r < <(one "$old"); wall_a+=("$w"); rss_a+=("$r")
  read -r w r < <(one "$new"); wall_b+=("$w"); rss_b+=("$r")
  echo "run $i: before ${wall_a[-1]} s ${rss_a[-1]} KiB, after ${wall_b[-1]} s ${rss_b[-1]} KiB"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
wa=$(median "${wall_a[@]}"); wb=$(median "${wall_b[@]}")
ra=$(median "${rss_a[@]}"); rb=$(median "${rss_b[@]}")
echo "median wall: before $wa s, after $wb s, speed-up $(awk "BEGIN {printf \"%.2f\", $wa / $wb}")x"
echo "median peak RSS: before $((ra / 1024)) MiB, after $((rb / 1024)) MiB"
# Same outputs? (summary.json without timings)
a=$(mktemp -d); b=$(mktemp -d)
"$old" analyze "$extract" --out "$a" -q; "$new" analyze "$extract" --out "$b" -q
for f in "$a"/*; do
  n=$(basename "$f")
  if [ "$n" = summary.json ]; then
    cmp -s <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timings"); print(json.dumps(d))' "$f") \
           <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("timings"); print(json.dumps(d))' "$b/$n") \
      || echo "differs: $n"
  else
    cmp -s "$f" "$b/$n" || echo "differs: $n"
  fi
done
rm -rf "$a" "$b"
