#!/usr/bin/env bash
# bench/html.sh (make bench-html): the HTML report of the benchmark's
# captures, the default mix and many small connections (a million packets
# each, made by bench/gen and cached in bench/out/ as make bench caches
# them): how long --summary --html takes to write it and how big it is
# (BenchmarkHTMLWrite), and how long its page takes to become usable in
# headless Chromium, to open a connection, and to sort and filter the table
# (BenchmarkHTMLUsable). Needs chromium (apt-get install -y chromium).
#
# Parameters (environment): PACKETS (default 1000000), CONC (4000), SEED
# (1), SMALL_PACKETS (1000000), RUNS (benchmark iterations, default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${PACKETS:-1000000}
CONC=${CONC:-4000}
SEED=${SEED:-1}
SMALL_PACKETS=${SMALL_PACKETS:-1000000}
RUNS=${RUNS:-3}
OUT=bench/out
mkdir -p "$OUT/bin"
command -v chromium >/dev/null || { echo "bench-html: chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }
go build -o "$OUT/bin/gen" ./bench/gen
genhash=$({ cat bench/gen/main.go go.sum; go env GOVERSION; } | sha256sum | cut -c1-10)
capture() {
  local f=$1
  shift
  if [[ ! -s $f || ! -s $f.txt ]]; then
    echo "--- generate $f"
    rm -f "$f" "$f.txt"
    "$OUT/bin/gen" "$@" -o "$f" 2>"$f.txt.tmp"
    mv "$f.txt.tmp" "$f.txt"
  fi
}
A=$OUT/bench-n$PACKETS-c$CONC-s$SEED-$genhash.pcap
B=$OUT/bench-small-n$SMALL_PACKETS-c$CONC-s$SEED-$genhash.pcap
capture "$A" -n "$PACKETS" -c "$CONC" -seed "$SEED"
capture "$B" -small -n "$SMALL_PACKETS" -c "$CONC" -seed "$SEED"
for f in "$A" "$B"; do
  echo "--- $f"
  TCPFLOW_BENCH_PCAP=$PWD/$f go test ./cmd/tcpflow-fsm -run '^$' -bench 'HTML' -benchtime "${RUNS}x" | grep -E '^(Benchmark|ok|FAIL)'
done
