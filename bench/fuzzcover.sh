#!/usr/bin/env bash
# Has a fuzz target stopped finding new paths in tcpflow-fsm's own code?
# (make fuzz-cover; issue 7; docs/FUZZING.md.)
#
# The fuzzer's "new interesting" counts inputs that hit a new coverage
# counter anywhere in the test binary, and every package is instrumented,
# the standard library too: the harness's checks (encoding/json parsing
# each output line, regexp, strconv) give new counters for outputs of new
# lengths, for ever. This script asks the narrower question: which of the
# project's statements does the corpus reach, and since when?
#
# It takes the target's inputs (the committed corpus, testdata/fuzz/T, and
# the fuzzer's own, $(go env GOCACHE)/fuzz/tcpflow-fsm/PKG/T), groups the
# fuzzer's by when they were found (the files' times) into BUCKET-minute
# buckets, runs each group as the target's seed corpus with statement
# coverage of every project package, and prints for each bucket its inputs
# and the project statements first reached by it, then the total: a target
# whose last buckets reach nothing new has stopped finding paths in our
# code, whatever its "new interesting" says.
#
# Usage: bench/fuzzcover.sh PKG TARGET [BUCKET]
#   PKG     the package folder: capture, fsm, report
#   TARGET  the fuzz target: FuzzDecode, FuzzReader, FuzzConn, FuzzRenderers
#   BUCKET  minutes a bucket spans (default 10)
# Environment: OUT, the work folder (default bench/out/fuzzcover); SINCE,
# a date (as date -d takes it): the fuzzer's inputs found before it count
# as one bucket with the committed corpus.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() {
  echo "fuzzcover: $*" >&2
  exit 1
}

(($# >= 2 && $# <= 3)) || die "usage: bench/fuzzcover.sh PKG TARGET [BUCKET]"
PKG=$1 TARGET=$2 BUCKET=${3:-10}
[[ -d $PKG && $PKG =~ ^[a-z]+$ ]] || die "no package folder '$PKG'"
[[ $TARGET =~ ^Fuzz[A-Za-z0-9]+$ ]] || die "'$TARGET' is not a fuzz target's name"
grep -q "^func $TARGET(" "$PKG"/*_test.go || die "$PKG has no $TARGET"
[[ $BUCKET =~ ^[0-9]+$ && $BUCKET -gt 0 ]] || die "BUCKET must be a positive number of minutes"
OUT=${OUT:-bench/out/fuzzcover}
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz/$module/$PKG/$TARGET
seeds=$PKG/testdata/fuzz/$TARGET
since=0
if [[ -n ${SINCE:-} ]]; then
  since=$(date -d "$SINCE" +%s) || die "SINCE: not a date: $SINCE"
fi

# A copy of the tree whose seed corpus each bucket replaces.
work=$OUT/$PKG-$TARGET
rm -rf "$work"
mkdir -p "$work/src"
work=$(realpath "$work")
git ls-files -z | grep -zv '/testdata/fuzz/' | xargs -0 cp --parents -t "$work/src"
corpus=$work/src/$seeds

# Buckets: 0 is the committed corpus (less what the fuzzer of this machine
# found: that counts when it was found) and whatever the fuzzer found
# before SINCE; then the fuzzer's inputs by the time they were found. The
# seeds the target adds itself (f.Add) run with every bucket.
list=$work/inputs.txt
{
  # Committed inputs the fuzzer found here count when it found them.
  for f in "$seeds"/*; do
    [[ -f $f && ! -f $cache/${f##*/} ]] && echo "0 $f"
  done
  if [[ -d $cache ]]; then
    find "$cache" -type f -printf '%T@ %p\n' |
      awk -v s="$since" -v b="$BUCKET" '{t = int($1); print (t < s ? 0 : int(t / (b * 60)) * b * 60), $2}'
  fi
} | sort -n -k1,1 >"$list"
[[ -s $list ]] || die "no inputs for $TARGET: neither $seeds nor $cache"

echo "--- $PKG $TARGET: $(wc -l <"$list") inputs; buckets of $BUCKET min (times UTC)"
printf '%-20s %7s %10s %10s\n' "found" "inputs" "new stmts" "reached"
declare -A reached=()
total=0
for b in seeds $(awk '{print $1}' "$list" | uniq); do
  rm -rf "$corpus"
  mkdir -p "$corpus"
  awk -v b="$b" '$1 == b {print $2}' "$list" | xargs -r cp -t "$corpus"
  prof=$work/cover-$b.out
  go test -C "$work/src" "./$PKG" -run "^$TARGET\$" -count=1 -covermode=set -coverpkg="$module/..." \
    -coverprofile="$prof" >"$work/test-$b.txt" 2>&1 ||
    die "the corpus of bucket $b fails (see $work/test-$b.txt)"
  new=0
  while read -r block stmts count; do
    if ((count > 0)) && [[ -z ${reached[$block]:-} ]]; then
      reached[$block]=1
      new=$((new + stmts))
    fi
  done < <(tail -n +2 "$prof")
  total=$((total + new))
  case $b in
  seeds) when="seeds (f.Add)" ;;
  0) when="committed"; ((since > 0)) && when="before SINCE" ;;
  *) when=$(date -u -d "@$b" '+%m-%d %H:%M') ;;
  esac
  printf '%-20s %7d %10d %10d\n' "$when" "$(awk -v b="$b" '$1 == b' "$list" | wc -l)" "$new" "$total"
done

# Where the reached statements are, file by file, of how many there.
echo "--- statements reached, by file (of the files reached at all)"
cat "$work"/cover-*.out | grep -v '^mode:' |
  awk '{split($1, f, ":"); file = f[1]; if (!($1 in seen)) {seen[$1] = 1; all[file] += $2}
        if ($3 > 0 && !($1 in hit)) {hit[$1] = 1; got[file] += $2}}
       END {for (n in got) printf "%6d of %6d  %s\n", got[n], all[n], n}' | sort -k4
