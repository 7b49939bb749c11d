#!/usr/bin/env bash
# drill.sh: the live drills. Builds tcpflow-fsm, makes each incident with
# the kernel in network namespaces while the tool captures live (gen.sh
# with DRILL_TOOL set: see README.md, "Drills"), then judges them with
# cmd/tcpflow-fsm's TestDrills, which prints a table: per drill the
# findings expected, how many seconds after the incident's start each came
# out of the live tool, the findings listed at Ctrl-C, and the verdict;
# and checks the drills' captures against ss (TestKernelFinalStates).
#
# Usage (as root, from anywhere):  testdata/kernel/drill.sh [DRILL...]
# with, in the environment:
#   KEEP=DIR     keep the drills' files (capture, .ss, .live.jsonl,
#                .drill, gen.sh's log) in DIR; by default a temporary
#                folder, removed at exit
#   DRILL_GRACE  how long a drill waits for a finding past its bound (3 s)
#   GO           the Go toolchain (go)
# With no DRILL every drill is made. Exit status 1 if gen.sh failed or a
# drill failed its check.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GO=${GO:-go}
export GO

case "${1:-}" in
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	bash "$HERE/gen.sh" --help | sed -n 's/^drills[^:]*: /drills: /p'
	exit 0
	;;
esac
[[ $(id -u) -eq 0 ]] || { echo "drill.sh: must be run as root, as gen.sh" >&2; exit 1; }

WORK=$(mktemp -d /tmp/tfsm-drill.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
OUT=${KEEP:-$WORK/out}
mkdir -p "$OUT"
rm -f "$OUT"/*.drill "$OUT"/*.live.jsonl

echo "drill.sh: building tcpflow-fsm"
(cd "$ROOT" && "$GO" build -o "$WORK/tcpflow-fsm" ./cmd/tcpflow-fsm)
DRILLS=("$@")
if [[ ${#DRILLS[@]} -eq 0 ]]; then
	read -ra DRILLS <<<"$(bash "$HERE/gen.sh" --help | sed -n 's/^drills[^:]*: //p')"
fi

t0=$SECONDS
rc=0
echo "drill.sh: ${#DRILLS[@]} drills (${DRILLS[*]}); gen.sh's log: $OUT/gen.log"
DEST=$OUT DRILL_TOOL=$WORK/tcpflow-fsm bash "$HERE/gen.sh" "${DRILLS[@]}" >"$OUT/gen.log" 2>&1 || rc=$?
# What each drill saw, and the drills that needed more than one attempt
# (gen.sh retries a scenario whose kernel timing its checks reject).
grep -E '^gen.sh: [a-z0-9-]+: |attempt [2-9]/|^  drill: ' "$OUT/gen.log" || true
if ((rc != 0)); then
	echo "drill.sh: gen.sh failed (exit $rc): the end of its log:" >&2
	tail -40 "$OUT/gen.log" >&2
fi
echo "drill.sh: incidents made in $((SECONDS - t0)) s"

# The verdicts, on whatever drills gen.sh made.
if compgen -G "$OUT/*.drill" >/dev/null; then
	st=0
	(cd "$ROOT" && TCPFLOW_DRILL_DIR=$OUT TCPFLOW_DRILL_ORDER="${DRILLS[*]}" "$GO" test ./cmd/tcpflow-fsm -run '^TestDrills$' -count=1 -v) >"$OUT/test.log" 2>&1 || st=$?
	grep -vE '^(=== RUN|PASS$|FAIL$|ok |FAIL\s)' "$OUT/test.log" || true
	((st == 0)) || rc=1
	# The kernel oracle on the drills' captures: the scenarios made for the
	# drills only (server-crash, loss-heavy, idle) are checked nowhere else.
	echo "drill.sh: the drills' captures against ss (TestKernelFinalStates):"
	st=0
	(cd "$ROOT" && TCPFLOW_KERNEL_DIR=$OUT "$GO" test ./cmd/tcpflow-fsm -run '^TestKernelFinalStates$' -count=1 -v) >"$OUT/oracle.log" 2>&1 || st=$?
	grep -E '^(--- |    --- FAIL|ok|FAIL)|kernel said [A-Z-]+$' "$OUT/oracle.log" | grep -v -- '--- PASS: TestKernelFinalStates/' || true
	((st == 0)) || rc=1
else
	echo "drill.sh: no drill was made" >&2
	rc=1
fi
[[ -z ${KEEP:-} ]] || echo "drill.sh: files kept in $OUT"
exit "$rc"
