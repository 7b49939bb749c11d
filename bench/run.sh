#!/usr/bin/env bash
# The benchmark (make bench; docs/PERFORMANCE.md). It builds tcpflow-fsm,
# the generator and the floor program, generates two reproducible captures
# (once, cached under bench/out/ by their parameters): the default mix, and
# many small connections (bench/gen -small). Then, on each file in turn,
# with the page cache warm, it times tcpflow-fsm in summary, JSON and
# timeline modes on one worker and on WORKERS, the floor program (the bare
# gopacket loop), tcpdump -nn -r, tshark -q -z conv,tcp and, when
# installed, tcptrace -n. Each runs RUNS times; a capture's table shows the
# median wall-clock time, packets per second from it, the peak RSS (the
# largest of the runs, from GNU time -v), the CPU time (user + system, of
# the median run) and the ratios of its packet rate to tshark's (× tshark)
# and to the floor's (% of floor). A last table holds the targets of
# issues 6 and 17, measured on each capture, and whether each is met on
# both. The tables are also written as Markdown to bench/out/results-*.md,
# ready to paste into docs/PERFORMANCE.md.
#
# Parameters (environment, or make variables: make bench PACKETS=2000000):
#   PACKETS        packets in the default capture (default 1000000)
#   CONC           its connections open at once (default 4000)
#   SMALL          0 leaves out the capture of small connections (default 1)
#   SMALL_PACKETS  packets in the capture of small connections (default 1000000)
#   SMALL_CONC     its connections open at once (default 4000)
#   SEED           seed of the generator, for both (default 1)
#   RUNS           runs of each tool (default 3)
#   WORKERS        tcpflow-fsm's workers beside the one-worker runs (default
#                  2, the issue's target; 1 leaves those runs out)
#   TIMEOUT        seconds one run may take before it is stopped (default 900)
#   OUT            work folder: binaries, captures, results (default bench/out)
#   HOSTILE        0 leaves out the hostile traffic at the end (default 1)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKETS=${PACKETS:-1000000}
CONC=${CONC:-4000}
SEED=${SEED:-1}
RUNS=${RUNS:-3}
SMALL=${SMALL:-1}
SMALL_PACKETS=${SMALL_PACKETS:-1000000}
SMALL_CONC=${SMALL_CONC:-4000}
WORKERS=${WORKERS:-2}
TIMEOUT=${TIMEOUT:-900}
OUT=${OUT:-bench/out}

die() {
  echo "bench: $*" >&2
  exit 1
}

for v in PACKETS CONC SEED RUNS TIMEOUT SMALL_PACKETS SMALL_CONC WORKERS; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || die "$v must be a positive integer, not '${!v}'"
done
((PACKETS >= 1000000)) || echo "bench: note: PACKETS=$PACKETS; the issue asks for at least 1000000" >&2
if [[ $SMALL != 0 ]]; then
  ((SMALL_PACKETS >= 1000000)) || echo "bench: note: SMALL_PACKETS=$SMALL_PACKETS; the issue asks for 1000000" >&2
fi

# What the benchmark needs, and how to get it on Debian.
missing=()
need() {
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 (install: $2)")
}
need go "Go 1.26 from https://go.dev/dl/"
need tcpdump "apt-get install -y tcpdump"
need tshark "apt-get install -y tshark"
need timeout "apt-get install -y coreutils"
need sha256sum "apt-get install -y coreutils"
need awk "apt-get install -y gawk"
if ! /usr/bin/time -v true >/dev/null 2>&1; then
  missing+=("GNU time as /usr/bin/time, for peak memory (install: apt-get install -y time)")
fi
if ((${#missing[@]})); then
  printf 'bench: missing: %s\n' "${missing[@]}" >&2
  exit 1
fi
have_tcptrace=0
if command -v tcptrace >/dev/null 2>&1; then
  have_tcptrace=1
else
  echo "bench: tcptrace not installed; its row is left out (optional: apt-get install -y tcptrace)" >&2
fi

BIN=$OUT/bin
mkdir -p "$BIN"

echo "--- build"
go build -o "$BIN/tcpflow-fsm" ./cmd/tcpflow-fsm ||
  die "building tcpflow-fsm failed (it needs libpcap: apt-get install -y libpcap-dev)"
go build -o "$BIN/gen" ./bench/gen || die "building bench/gen failed"
go build -o "$BIN/floor" ./bench/floor || die "building bench/floor failed"

# The captures, cached by their parameters, the generator's source and the
# Go version (the generator's output is the same for these).
genhash=$({ cat bench/gen/main.go go.sum; go env GOVERSION; } | sha256sum | cut -c1-10)

# capture FILE GEN-FLAGS...: generates FILE unless it is cached, and prints
# the generator's summary.
capture() {
  local f=$1
  shift
  if [[ -s $f && -s $f.txt ]]; then
    echo "--- capture (cached): $f"
  else
    echo "--- generate $f"
    # The .txt (the generator's summary) is written last: without it, the
    # capture is not complete and is made again.
    rm -f "$f.txt" "$f"
    "$BIN/gen" "$@" -o "$f" 2>"$f.txt.tmp" || {
      cat "$f.txt.tmp" >&2
      rm -f "$f" "$f.txt.tmp"
      die "the generator failed"
    }
    mv "$f.txt.tmp" "$f.txt"
  fi
  cat "$f.txt"
}

# The captures: the default mix (A) and, unless SMALL=0, many small
# connections (B).
declare -A LABEL FILE NPKT CONNS
CAPS=(A)
LABEL[A]="default mix"
FILE[A]=$OUT/bench-n$PACKETS-c$CONC-s$SEED-$genhash.pcap
NPKT[A]=$PACKETS
capture "${FILE[A]}" -n "$PACKETS" -c "$CONC" -seed "$SEED"
if [[ $SMALL != 0 ]]; then
  CAPS+=(B)
  LABEL[B]="small connections"
  FILE[B]=$OUT/bench-small-n$SMALL_PACKETS-c$SMALL_CONC-s$SEED-$genhash.pcap
  NPKT[B]=$SMALL_PACKETS
  capture "${FILE[B]}" -small -n "$SMALL_PACKETS" -c "$SMALL_CONC" -seed "$SEED"
fi
others=$(find "$OUT" -maxdepth 1 -name 'bench-*.pcap' ! -path "${FILE[A]}" ! -path "${FILE[B]:-}" | wc -l)
((others == 0)) || echo "($others other cached capture(s) in $OUT: make bench-clean removes them)"

# check CAP: checks that the floor and tcpflow-fsm read every packet of
# the capture, and warms the page cache.
check() {
  local c=$1 f=${FILE[$1]} n=${NPKT[$1]} says summary
  echo "--- check: ${LABEL[$c]}"
  cat "$f" >/dev/null
  says=$("$BIN/floor" "$f") || die "the floor program failed on $f"
  echo "floor: $says"
  [[ $says == "packets $n, tcp $n, "* ]] || die "the floor program did not read $n TCP packets of $f"
  CONNS[$c]=${says##*connections }
  summary=$OUT/summary-$(basename "$f" .pcap).txt
  "$BIN/tcpflow-fsm" -r "$f" --summary >"$summary" || die "tcpflow-fsm --summary failed on $f"
  grep -q "^capture: $n packets read, $n TCP segments" "$summary" ||
    die "tcpflow-fsm did not read $n TCP segments of $f (see $summary)"
  echo "tcpflow-fsm: $(grep '^capture:' "$summary")"
  sed -n '/^final states:/,/^$/p' "$summary"
  # A finding's line: its code, its severity, its count, "conns" and the
  # first connections.
  awk '/^findings:/ {f = 1; next} /^capture:/ {f = 0} f && $4 == "conns" {s = s (s == "" ? " " : ", ") $1 " " $3} END {if (s != "") print "findings:" s}' "$summary"
}

# Results, keyed by "CAP|row name".
declare -A WALL RSS CPU SHOW

# measure CAP NAME SHOWN CMD...: runs CMD RUNS times, output to /dev/null.
measure() {
  local c=$1 name=$2 shown=$3
  shift 3
  local tf=$OUT/time.txt ef=$OUT/stderr.txt results=() i rc t0 t1 rss cpu med
  for ((i = 1; i <= RUNS; i++)); do
    rc=0
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$tf" timeout "$TIMEOUT" "$@" >/dev/null 2>"$ef" || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)); then
      ((rc == 124)) && echo "bench: $name took more than TIMEOUT=$TIMEOUT s" >&2
      echo "bench: $name failed (exit $rc): $*" >&2
      tail -n 5 "$ef" >&2
      return 1
    fi
    rss=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tf")
    cpu=$(awk -F': *' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$tf")
    [[ -n $rss ]] || die "no peak RSS in GNU time's output for $name"
    results+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}') $rss $cpu")
    printf '  %-30s run %d: %7.2f s  %8.1f MiB\n' "$name" "$i" "${results[-1]%% *}" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')"
  done
  med=$(printf '%s\n' "${results[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  WALL[$c|$name]=${med%% *}
  CPU[$c|$name]=${med##* }
  RSS[$c|$name]=$(printf '%s\n' "${results[@]}" | awk '$2 > m {m = $2} END {print m}')
  SHOW[$c|$name]=$shown
}

T=$BIN/tcpflow-fsm
# One worker for the targets (issue 6 sets them on one worker); then
# WORKERS, for the speed-up (issue 17: two workers in summary mode).
S="tcpflow-fsm --summary, 1 worker"
J="tcpflow-fsm --json, 1 worker"
L="tcpflow-fsm (timeline), 1 worker"
SN="tcpflow-fsm --summary, $WORKERS workers"
JN="tcpflow-fsm --json, $WORKERS workers"
LN="tcpflow-fsm (timeline), $WORKERS workers"
FL="floor (bare gopacket loop)"
TD="tcpdump -nn -r"
TS="tshark -q -z conv,tcp"
TT="tcptrace -n"
ROWS=("$S" "$J" "$L")
if ((WORKERS > 1)); then ROWS+=("$SN" "$JN" "$LN"); fi
ROWS+=("$FL" "$TD" "$TS")

# runs CAP: times every tool on the capture.
runs() {
  local c=$1 f=${FILE[$1]}
  echo "--- runs on the ${LABEL[$c]} capture ($RUNS each, median wall clock)"
  measure "$c" "$S" "tcpflow-fsm -r F --summary --workers 1" "$T" -r "$f" --summary --workers 1 || die "$S failed"
  measure "$c" "$J" "tcpflow-fsm -r F --json --workers 1" "$T" -r "$f" --json --workers 1 || die "$J failed"
  measure "$c" "$L" "tcpflow-fsm -r F --workers 1" "$T" -r "$f" --workers 1 || die "$L failed"
  if ((WORKERS > 1)); then
    measure "$c" "$SN" "tcpflow-fsm -r F --summary --workers $WORKERS" "$T" -r "$f" --summary --workers "$WORKERS" || die "$SN failed"
    measure "$c" "$JN" "tcpflow-fsm -r F --json --workers $WORKERS" "$T" -r "$f" --json --workers "$WORKERS" || die "$JN failed"
    measure "$c" "$LN" "tcpflow-fsm -r F --workers $WORKERS" "$T" -r "$f" --workers "$WORKERS" || die "$LN failed"
  fi
  measure "$c" "$FL" "bench/floor F" "$BIN/floor" "$f" || die "$FL failed"
  measure "$c" "$TD" "tcpdump -nn -r F" tcpdump -nn -r "$f" || die "$TD failed"
  measure "$c" "$TS" "tshark -r F -q -z conv,tcp" tshark -r "$f" -q -z conv,tcp || die "$TS failed"
  if ((have_tcptrace)); then
    measure "$c" "$TT" "tcptrace -n F" tcptrace -n "$f" || echo "bench: tcptrace failed; its row is left out" >&2
  fi
}

for c in "${CAPS[@]}"; do
  check "$c"
done
for c in "${CAPS[@]}"; do
  runs "$c"
done

# The tables, as Markdown.

# ratio CAP A B: the packet rate of row A over row B's on the capture (the
# inverse ratio of their times).
ratio() { awk -v a="${WALL[$1|$3]}" -v b="${WALL[$1|$2]}" 'BEGIN {printf "%.4f", a / b}'; }

# table CAP: the capture's table of tools, then its targets.
table() {
  local c=$1 f=${FILE[$1]} n=${NPKT[$1]} r
  echo "### Capture: ${LABEL[$c]}"
  echo
  echo "$(basename "$f"): $n packets, $(awk -v s="$(stat -c %s "$f")" 'BEGIN {printf "%.0f MB", s / 1e6}')," \
    "${CONNS[$c]} connections; $(sed -n 's/^mean packet: \([0-9.]*\) bytes from the IP header.*/\1 bytes a packet on average from the IP header/p' "$f.txt")"
  echo
  echo "| tool | command | seconds | M packets/s | peak RSS MiB | CPU s | × tshark | % of floor |"
  echo "|---|---|--:|--:|--:|--:|--:|--:|"
  for r in "${ROWS[@]}" "$TT"; do
    [[ -n ${WALL[$c|$r]:-} ]] || continue
    awk -v n="$r" -v s="${SHOW[$c|$r]}" -v w="${WALL[$c|$r]}" -v m="${RSS[$c|$r]}" -v u="${CPU[$c|$r]}" \
      -v p="$n" -v ts="${WALL[$c|$TS]}" -v fl="${WALL[$c|$FL]}" \
      'BEGIN {printf "| %s | `%s` | %.2f | %.2f | %.0f | %.2f | %.1f× | %.0f%% |\n", n, s, w, p / w / 1e6, m / 1024, u, ts / w, 100 * fl / w}'
  done
  if ((WORKERS > 1)); then
    echo
    echo "Speed-up of $WORKERS workers over 1, same output:"
    echo
    echo "| mode | 1 worker s | $WORKERS workers s | speed-up | × tshark with $WORKERS |"
    echo "|---|--:|--:|--:|--:|"
    for pair in "summary|$S|$SN" "JSON|$J|$JN" "timeline|$L|$LN"; do
      IFS='|' read -r m one many <<<"$pair"
      awk -v m="$m" -v a="${WALL[$c|$one]}" -v b="${WALL[$c|$many]}" -v ts="${WALL[$c|$TS]}" \
        'BEGIN {printf "| %s | %.2f | %.2f | %.2f× | %.1f× |\n", m, a, b, a / b, ts / b}'
    done
  fi
  echo
}

# pretty RATIO UNIT: a ratio as a percentage or a factor.
pretty() { awk -v m="$1" -v u="$2" 'BEGIN {if (u == "%") printf "%.0f%%", m * 100; else printf "%.2f×", m}'; }

# target LABEL THRESHOLD UNIT A B: one line of the targets table: the rate
# of row A over row B's on each capture, and whether it reaches THRESHOLD
# on every capture.
target() {
  local label=$1 t=$2 u=$3 a=$4 b=$5 c m line ok=yes
  line="| $label"
  for c in "${CAPS[@]}"; do
    m=$(ratio "$c" "$a" "$b")
    line+=" | $(pretty "$m" "$u")"
    awk -v m="$m" -v t="$t" 'BEGIN {exit !(m >= t)}' || ok=no
  done
  echo "$line | $ok |"
}

res=$OUT/results-$(basename "${FILE[A]}" .pcap)
if [[ $SMALL != 0 ]]; then res+="+small-n$SMALL_PACKETS-c$SMALL_CONC"; fi
res+=.md
# Read-only git: no optional locks, so the index is never rewritten.
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git --no-optional-locks status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  rev+=" with uncommitted changes"
fi
{
  args="PACKETS=$PACKETS CONC=$CONC SEED=$SEED RUNS=$RUNS WORKERS=$WORKERS"
  if [[ $SMALL != 0 ]]; then args+=" SMALL_PACKETS=$SMALL_PACKETS SMALL_CONC=$SMALL_CONC"; else args+=" SMALL=0"; fi
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'): \`make bench $args\`"
  echo
  echo "- machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores," \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- $(go version | cut -d' ' -f3); $(tcpdump --version 2>&1 | head -n 1);" \
    "$(tshark --version 2>/dev/null | head -n 1)$( ((have_tcptrace)) && echo "; tcptrace $(tcptrace -v 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1)")"
  echo "- tcpflow-fsm: commit $rev"
  echo
  for c in "${CAPS[@]}"; do
    table "$c"
  done
  echo "### Targets"
  echo
  echo "Ratios of packet rates on each capture, from the tables above (issues 6 and 17):"
  echo
  line="| target"
  sep="|---"
  for c in "${CAPS[@]}"; do
    line+=" | ${LABEL[$c]}"
    sep+="|--:"
  done
  echo "$line | met on every capture |"
  echo "$sep|---|"
  target "summary ≥ 60% of the floor's rate, 1 worker" 0.60 % "$S" "$FL"
  target "summary ≥ 20× tshark's rate, 1 worker" 20 x "$S" "$TS"
  target "JSON ≥ 10× tshark's rate, 1 worker" 10 x "$J" "$TS"
  target "timeline ≥ 10× tshark's rate, 1 worker" 10 x "$L" "$TS"
  if ((WORKERS > 1)); then
    target "summary, $WORKERS workers ≥ 1.7× 1 worker" 1.7 x "$SN" "$S"
  else
    echo "| summary, 2 workers ≥ 1.7× 1 worker | not measured (WORKERS=$WORKERS) |"
  fi
  if ((WORKERS > $(nproc))); then
    echo
    echo "(WORKERS=$WORKERS is more than the $(nproc) CPUs of this machine.)"
  fi
} >"$res"
echo "--- results (also in $res)"
cat "$res"

# Hostile traffic (issue 7; bench/hostile.sh) last; HOSTILE=0 leaves it out.
HOSTILE=${HOSTILE:-1}; if [[ $HOSTILE != 0 ]]; then bash bench/hostile.sh; fi
