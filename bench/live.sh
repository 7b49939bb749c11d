#!/usr/bin/env bash
# The live-capture benchmark (make bench-live; issue 6): does tcpflow-fsm
# keep up with a link as well as tcpdump does?
#
# It makes two network namespaces joined by a veth pair (everything named
# tfsm-bench-*, deleted on exit), replays a capture with
# tcpreplay --topspeed into one end, and captures on the other end, in
# turn with tcpdump -w /dev/null and with tcpflow-fsm (its live text
# stream, and --json; stdout to /dev/null), each RUNS times. The replayed
# packets carry the capture's MAC addresses, not the veth's: they still
# reach the capturing end (a packet socket sees every frame the veth
# receives), and the script checks that every packet sent was seen.
#
# For each run it prints: packets replayed, packets received by filter
# (libpcap's ps_recv: what reached the capture), dropped by kernel (ps_drop:
# no room in the capture buffer), dropped by the tool (tcpflow-fsm's queue
# between its capture goroutine and the analysis; tcpdump has none) and the
# replay rate. Then the median and the largest kernel drops of each tool.
# The table is also written as Markdown to $OUT/live/results-*.md.
#
# Parameters (environment, or make variables: make bench-live RUNS=5):
#   PCAP      capture to replay (default: the benchmark capture
#             $OUT/bench-n1000000-c4000-s1-*.pcap of make bench; generated
#             with bench/gen when missing)
#   RUNS      runs of each tool (default 3)
#   TOOLS     the rows, comma-separated, from tcpdump, tcpflow-fsm,
#             tcpflow-fsm-json, tcpflow-fsm-w (-w /dev/null too)
#             (default tcpdump,tcpflow-fsm,tcpflow-fsm-json)
#   TFSM_ARGS more flags for tcpflow-fsm, e.g. "-B 8192"
#   TFSM_BIN  the tcpflow-fsm program to measure (default: built from
#             this tree), e.g. an older build to compare with
#   TCPDUMP_ARGS more flags for tcpdump, e.g. "-B 4096"
#   PRELOAD   1: tcpreplay --preload-pcap, reading the file into memory
#             first, for a faster replay (default 0)
#   PPS       replay at this many packets a second instead of --topspeed:
#             at top speed tcpreplay shares the CPUs with the capture, so
#             a capture that needs more CPU is offered fewer packets a
#             second; a fixed rate offers every tool the same
#   OUT       work folder (default bench/out)
#
# Needs root (namespaces, capture), ip (iproute2), tcpdump, tcpreplay and
# Go. It sends nothing anywhere but into the veth pair it makes.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
TOOLS=${TOOLS:-tcpdump,tcpflow-fsm,tcpflow-fsm-json}
TFSM_ARGS=${TFSM_ARGS:-}
TCPDUMP_ARGS=${TCPDUMP_ARGS:-}
PRELOAD=${PRELOAD:-0}
OUT=${OUT:-bench/out}
LOUT=$OUT/live

die() {
  echo "bench-live: $*" >&2
  exit 1
}

[[ $RUNS =~ ^[0-9]+$ && $RUNS -gt 0 ]] || die "RUNS must be a positive integer, not '$RUNS'"
((EUID == 0)) || die "needs root: network namespaces, a veth pair and packet capture"
missing=()
need() {
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 (install: $2)")
}
need go "Go 1.26 from https://go.dev/dl/"
need ip "apt-get install -y iproute2"
need tcpdump "apt-get install -y tcpdump"
need tcpreplay "apt-get install -y tcpreplay"
need timeout "apt-get install -y coreutils"
need flock "apt-get install -y util-linux"
if ((${#missing[@]})); then
  printf 'bench-live: missing: %s\n' "${missing[@]}" >&2
  exit 1
fi
IFS=, read -ra tools <<<"$TOOLS"
for t in "${tools[@]}"; do
  case $t in
  tcpdump | tcpflow-fsm | tcpflow-fsm-json | tcpflow-fsm-w) ;;
  *) die "TOOLS: unknown tool '$t' (tcpdump, tcpflow-fsm, tcpflow-fsm-json, tcpflow-fsm-w)" ;;
  esac
done

mkdir -p "$LOUT"
# One run at a time: two would share the work folder and the CPUs.
exec 9>"$LOUT/.lock"
flock -n 9 || die "another bench/live.sh is running (lock $LOUT/.lock)"
if [[ -n ${TFSM_BIN:-} ]]; then
  TOOL=$TFSM_BIN
  [[ -x $TOOL ]] || die "TFSM_BIN: no program at '$TOOL'"
  echo "--- tcpflow-fsm: $TOOL"
else
  echo "--- build"
  # A binary of its own: make bench may be using $OUT/bin/tcpflow-fsm.
  TOOL=$LOUT/tcpflow-fsm
  go build -o "$TOOL" ./cmd/tcpflow-fsm ||
    die "building tcpflow-fsm failed (it needs libpcap: apt-get install -y libpcap-dev)"
fi

if [[ -z ${PCAP:-} ]]; then
  PCAP=
  for f in "$OUT"/bench-n1000000-c4000-s1-*.pcap; do # the newest
    [[ -s $f && (-z $PCAP || $f -nt $PCAP) ]] && PCAP=$f
  done
  if [[ -z $PCAP ]]; then
    PCAP=$LOUT/bench-n1000000-c4000-s1.pcap
    if [[ ! -s $PCAP ]]; then
      echo "--- no benchmark capture (make bench makes one); generating $PCAP"
      go run ./bench/gen -n 1000000 -c 4000 -seed 1 -o "$PCAP" || die "bench/gen failed"
    fi
  fi
fi
[[ -s $PCAP ]] || die "no capture to replay at '$PCAP'"
echo "--- capture: $PCAP"
cat "$PCAP" >/dev/null # into the page cache, so that every run reads it alike

# The namespaces: send (tcpreplay) and cap (the capture), joined by
# tfsm-bench-s and tfsm-bench-c. IPv6 is off in both, so that the kernel
# sends nothing of its own (router solicitations, DAD) on the link: the
# capturing end sees the replayed packets and nothing else.
NSS=tfsm-bench-$$-send
NSC=tfsm-bench-$$-cap
DEVS=tfsm-bench-s
DEVC=tfsm-bench-c
capture_pid=
cleanup() {
  if [[ -n $capture_pid ]]; then
    kill "$capture_pid" 2>/dev/null || true
    wait "$capture_pid" 2>/dev/null || true
  fi
  ip netns del "$NSS" 2>/dev/null || true
  ip netns del "$NSC" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$NSS"
ip netns add "$NSC"
ip link add "$DEVS" netns "$NSS" type veth peer name "$DEVC" netns "$NSC"
for e in "$NSS:$DEVS" "$NSC:$DEVC"; do
  ns=${e%%:*} dev=${e#*:}
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$dev" up
done

# capture_cmd TOOL prints the capture command of a row.
capture_cmd() {
  case $1 in
  tcpdump) echo "tcpdump -i $DEVC -w /dev/null $TCPDUMP_ARGS" ;;
  tcpflow-fsm) echo "$TOOL -i $DEVC $TFSM_ARGS" ;;
  tcpflow-fsm-json) echo "$TOOL -i $DEVC --json $TFSM_ARGS" ;;
  tcpflow-fsm-w) echo "$TOOL -i $DEVC -w /dev/null $TFSM_ARGS" ;;
  esac
}

# counter FILE TEXT prints the number on the line "N TEXT" of FILE, or -.
counter() {
  local n
  n=$(grep -E "^[0-9]+ $2\$" "$1" | tail -n1 | cut -d' ' -f1)
  echo "${n:--}"
}

replay=(tcpreplay --topspeed)
if [[ -n ${PPS:-} ]]; then
  [[ $PPS =~ ^[0-9]+$ && $PPS -gt 0 ]] || die "PPS must be a positive integer, not '$PPS'"
  replay=(tcpreplay "--pps=$PPS")
fi
((PRELOAD)) && replay+=(--preload-pcap)
rows=()
fail=0
echo "--- runs: $RUNS of each of: ${tools[*]}; replay: ${replay[*]} -i $DEVS"
for ((run = 1; run <= RUNS; run++)); do
  for t in "${tools[@]}"; do
    err=$LOUT/run-$t-$run.stderr
    rlog=$LOUT/run-$t-$run.tcpreplay
    rm -f "$err" "$rlog"
    : >"$err" # before the capture opens it: an old file would say "listening" too soon
    # shellcheck disable=SC2046 # the command is split into words on purpose
    ip netns exec "$NSC" $(capture_cmd "$t") >/dev/null 2>"$err" &
    capture_pid=$!
    for ((i = 0; i < 100; i++)); do
      grep -q "listening on" "$err" 2>/dev/null && break
      kill -0 "$capture_pid" 2>/dev/null || break
      sleep 0.1
    done
    grep -q "listening on" "$err" || die "$t did not start listening: $(cat "$err")"
    ip netns exec "$NSS" "${replay[@]}" -i "$DEVS" "$PCAP" >"$rlog" 2>&1 ||
      die "tcpreplay failed: $(cat "$rlog")"
    sleep 1 # what is still queued reaches the capture
    kill -INT "$capture_pid"
    status=0
    timeout 120 tail --pid="$capture_pid" -f /dev/null || kill -KILL "$capture_pid"
    wait "$capture_pid" || status=$?
    capture_pid=
    sent=$(sed -nE 's/^Actual: ([0-9]+) packets.*/\1/p' "$rlog")
    secs=$(sed -nE 's/^Actual: .* sent in ([0-9.]+) seconds.*/\1/p' "$rlog")
    pps=$(sed -nE 's/^Rated: .*, ([0-9.]+) pps.*/\1/p' "$rlog")
    recv=$(counter "$err" "packets received by filter")
    kdrop=$(counter "$err" "packets dropped by kernel")
    tdrop=$(counter "$err" "packets dropped by tcpflow-fsm \(queue full\)")
    [[ $t == tcpdump ]] && tdrop=-
    note=
    if ((status != 0)); then
      note="exit status $status"
      fail=1
    elif [[ $recv == - || $kdrop == - || -z $sent ]]; then
      note="no counters"
      fail=1
    elif ((recv * 10 < sent * 9)); then
      note="only $recv of $sent packets reached the capture"
      fail=1
    elif ((recv < sent)); then
      # The veth's receive backlog (net.core.netdev_max_backlog) was full:
      # lost before any capture could see them.
      note="$((sent - recv)) lost before the capture"
    fi
    row=$(printf '%s|%s|%s|%s|%s|%s|%.0f|%s|%s' "$t" "$run" "$sent" "$recv" "$kdrop" "$tdrop" "$pps" "$secs" "$note")
    rows+=("$row")
    IFS='|' read -r a b c d e f g h i <<<"$row"
    printf '%-17s run %s: replayed %s, received by filter %s, dropped by kernel %s, by tool %s, %s pps %s\n' \
      "$a" "$b" "$c" "$d" "$e" "$f" "$g" "${i:+($i)}"
  done
done

# The table: every run, then per tool the median and the largest kernel
# drops.
stamp=$(date -u +%Y%m%d-%H%M%S)
md=$LOUT/results-$stamp.md
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M') UTC: \`bash bench/live.sh\` (RUNS=$RUNS PRELOAD=$PRELOAD PPS=${PPS:-} TFSM_ARGS='$TFSM_ARGS' TCPDUMP_ARGS='$TCPDUMP_ARGS')"
  echo
  echo "- machine: $(nproc) cores, $(uname -sr); $(tcpdump --version 2>&1 | head -n1); $(tcpreplay -V 2>&1 | head -n1 | sed 's/^tcpreplay //')"
  echo "- capture: $(basename "$PCAP"); replayed with \`${replay[*]} -i $DEVS\` into a veth pair"
  echo
  echo "| tool | run | packets replayed | received by filter | dropped by kernel | dropped by tool | replay rate (pps) | replay s | note |"
  echo "|---|--:|--:|--:|--:|--:|--:|--:|---|"
  for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f g h i <<<"$r"
    echo "| $(capture_cmd "$a" | sed "s|$TOOL|tcpflow-fsm|;s/ *\$//") | $b | $c | $d | $e | $f | $g | $h | $i |"
  done
  echo
  echo "| tool | median dropped by kernel | most dropped by kernel | median dropped by tool | median replay rate (pps) |"
  echo "|---|--:|--:|--:|--:|"
  for t in "${tools[@]}"; do
    printf '%s\n' "${rows[@]}" | awk -F'|' -v t="$t" -v cmd="$(capture_cmd "$t" | sed "s|$TOOL|tcpflow-fsm|;s/ *\$//")" '
      function median(a, n,   i, j, x) {
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
        return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
      }
      $1 == t && $5 != "-" { n++; k[n] = $5; d[n] = ($6 == "-" ? 0 : $6); r[n] = $7; if ($5 > most) most = $5; tool = ($6 == "-") }
      END {
        if (!n) exit
        printf "| %s | %d | %d | %s | %d |\n", cmd, median(k, n), most, tool ? "-" : sprintf("%d", median(d, n)), median(r, n)
      }'
  done
} >"$md"
echo
cat "$md"
echo
echo "--- written to $md"
((fail == 0)) || die "some runs failed: see the notes in the table and $LOUT/run-*"
