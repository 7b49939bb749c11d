#!/usr/bin/env bash
# stress.sh: run gen.sh several times beside busy-loop CPU burners, each run
# into its own temporary folder (the committed captures are never touched),
# and say per run and per scenario whether it passed, and at which attempt.
#
# Usage (as root, from anywhere):  testdata/kernel/stress.sh [SCENARIO...]
# with, in the environment (defaults shown):
#   RUNS=3      how many times gen.sh runs, one after the other
#   BURNERS=2   how many CPU burners run beside it
#   BURN='while :; do :; done'   each burner's sh loop (another load, e.g.
#               'while :; do /bin/true; done', starts processes)
#   ORACLE=1    also run TestKernelFinalStates (and TestSameTrafficSameAnalysis
#               when any-sll2 is made) on each run's fresh captures, as CI
#               does; ORACLE=0 skips it
#   KEEP=0      KEEP=1 keeps each run's captures (the logs are always kept)
#   GEN=...     the gen.sh to run (default: the one next to this script)
# With no SCENARIO every scenario is made. Exit status 1 if a scenario failed
# (all its attempts) in any run, or the oracle test failed on a run's captures.
#
# gen.sh retries a scenario whose checks fail (ATTEMPTS); a scenario that
# passes only at a second attempt passes, but is a flake all the same: the
# table shows it as "ok@2" and the summary counts it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RUNS=${RUNS:-3}
BURNERS=${BURNERS:-2}
BURN=${BURN:-'while :; do :; done'}
ORACLE=${ORACLE:-1}
KEEP=${KEEP:-0}
GEN=${GEN:-$HERE/gen.sh}
GO=${GO:-go}
export GO

case "${1:-}" in
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
esac
[[ $(id -u) -eq 0 ]] || { echo "stress.sh: must be run as root, as gen.sh" >&2; exit 1; }

if [[ $# -gt 0 ]]; then
	SCENARIOS=("$@")
else
	read -ra SCENARIOS <<<"$(bash "$GEN" --help | sed -n 's/^scenarios: //p')"
fi

LOGS=$(mktemp -d /tmp/tfsm-stress.XXXXXX)
BURNER_PIDS=()
stop_burners() {
	local p
	for p in "${BURNER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${BURNER_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	BURNER_PIDS=()
}
trap stop_burners EXIT
trap 'exit 130' INT TERM

for ((i = 0; i < BURNERS; i++)); do
	sh -c "$BURN" &
	BURNER_PIDS+=($!)
done
echo "stress.sh: $RUNS runs of ${#SCENARIOS[@]} scenarios beside $BURNERS CPU burners ($BURN; $(nproc) CPUs); logs in $LOGS"

# verdict LOG SCENARIO: "ok", "ok@N" (passed at attempt N > 1), "FAILED" or
# "-" (not reached: gen.sh stopped before it).
verdict() {
	local log=$1 s=$2 n
	if grep -q "^gen.sh: $s: ok" "$log"; then
		n=$(grep -c "^gen.sh: $s (attempt " "$log")
		if [[ $n -le 1 ]]; then echo ok; else echo "ok@$n"; fi
	elif grep -q "^gen.sh: $s: FAILED" "$log"; then
		echo FAILED
	else
		echo -
	fi
}

declare -A V ORA
TIMES=()
bad=0
for ((r = 1; r <= RUNS; r++)); do
	dest=$(mktemp -d /tmp/tfsm-stress-run.XXXXXX)
	log=$LOGS/run$r.log
	echo "stress.sh: run $r/$RUNS into $dest"
	t0=$EPOCHREALTIME
	rc=0
	DEST=$dest bash "$GEN" "${SCENARIOS[@]}" >"$log" 2>&1 || rc=$?
	t1=$EPOCHREALTIME
	TIMES+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')")
	[[ $rc -ne 130 ]] || exit 130
	for s in "${SCENARIOS[@]}"; do
		V[$r,$s]=$(verdict "$log" "$s")
		[[ ${V[$r,$s]} == ok* ]] || bad=1
		# Why each failed attempt failed, from gen.sh's own messages.
		awk -v s="$s" -v r="$r" '
			$0 ~ "^gen.sh: " s " \\(attempt " { att = $NF; sub(/\)$/, "", att) }
			/^gen.sh: / && $0 !~ "^gen.sh: " s " \\(attempt " { att = "" }
			/^  FAILED: / && att != "" {
				sub(/^  FAILED: /, "")
				if (/^capture check/) { why = prev; sub(/^ +/, "", why); $0 = $0 ": " why }
				print "  run " r " " s " attempt " att ": " $0
			}
			{ prev = $0 }' "$log"
	done
	if [[ $ORACLE == 1 ]]; then
		run='^TestKernelFinalStates$'
		[[ ! -e $dest/any-sll2.pcapng ]] || run='^(TestKernelFinalStates|TestSameTrafficSameAnalysis)$'
		orc=0
		(cd "$ROOT" && TCPFLOW_KERNEL_DIR=$dest "$GO" test ./cmd/tcpflow-fsm -run "$run" -count=1 -v) \
			>"$LOGS/run$r.oracle.log" 2>&1 || orc=$?
		for s in "${SCENARIOS[@]}"; do
			if grep -q "^    --- PASS: TestKernelFinalStates/$s " "$LOGS/run$r.oracle.log"; then
				ORA[$r,$s]=ok
			elif grep -q "^    --- FAIL: TestKernelFinalStates/$s " "$LOGS/run$r.oracle.log"; then
				ORA[$r,$s]=FAIL
			else
				ORA[$r,$s]=-
			fi
		done
		if [[ $orc -ne 0 ]]; then
			bad=1
			echo "  run $r: the oracle test failed on the fresh captures: see $LOGS/run$r.oracle.log"
		fi
	fi
	if [[ $KEEP == 1 ]]; then
		echo "  run $r: captures kept in $dest"
	else
		rm -rf "$dest"
	fi
	echo "stress.sh: run $r done in ${TIMES[r - 1]} s (gen.sh exit $rc)"
done
stop_burners

# The table: one row per scenario, one column per run; "gen.sh/oracle" when
# the oracle ran.
echo
printf '%-24s' scenario
for ((r = 1; r <= RUNS; r++)); do printf ' %-14s' "run $r"; done
echo
retried=0 failed=0
for s in "${SCENARIOS[@]}"; do
	printf '%-24s' "$s"
	for ((r = 1; r <= RUNS; r++)); do
		cell=${V[$r,$s]}
		[[ $ORACLE != 1 ]] || cell+="/${ORA[$r,$s]}"
		printf ' %-14s' "$cell"
		case ${V[$r,$s]} in
		ok@*) retried=$((retried + 1)) ;;
		ok) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
	echo
done
printf '%-24s' "time (s)"
for t in "${TIMES[@]}"; do printf ' %-14s' "$t"; done
echo
echo
echo "stress.sh: $((RUNS * ${#SCENARIOS[@]})) scenario runs: $failed failed, $retried passed only at a later attempt"
if [[ $bad -ne 0 ]]; then
	echo "stress.sh: FAIL (logs in $LOGS)"
	exit 1
fi
echo "stress.sh: PASS (logs in $LOGS)"
