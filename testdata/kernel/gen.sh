#!/usr/bin/env bash
# gen.sh: regenerate the kernel-oracle test captures of tcpflow-fsm.
#
# For each scenario it builds two fresh network namespaces joined by a veth
# pair, captures the scenario's traffic with tcpdump on the veth of namespace b
# (self-connect*: on lo of namespace a), drives real Linux TCP sockets on both
# sides with ./driver, records what `ss` says of every socket in both
# namespaces, and writes, next to this script:
#
#   <scenario>.pcap     the capture (Ethernet)
#   <scenario>.ss       one line per socket: "<a|b> <local> <peer> <STATE>"
#   <scenario>.ss.raw   the raw `ss -tanoi` output of both namespaces
#   any-sll2.eth.pcap, any-sll2.pcapng   extra files of the any-sll2 scenario
#
# Usage (as root, from anywhere):  testdata/kernel/gen.sh [SCENARIO...]
# DEST=/some/dir testdata/kernel/gen.sh writes the results there instead.
# With no argument every scenario is regenerated. See README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# DEST is where the finished files go: next to this script unless set (CI
# regenerates into a temporary folder and checks those against ss again).
DEST=${DEST:-$HERE}
mkdir -p "$DEST"

ALL_SCENARIOS=(
	close-client-first close-server-first refused half-close
	half-close-then-close simultaneous-open simultaneous-close rst-abort
	rst-abort-server time-wait time-wait-reuse time-wait-reuse-server
	ipv6-close any-sll2 self-connect self-connect-close
)

die() {
	echo "gen.sh: $*" >&2
	exit 1
}

case "${1:-}" in
-h | --help)
	echo "usage: $0 [SCENARIO...]   (as root)"
	echo "scenarios: ${ALL_SCENARIOS[*]}"
	exit 0
	;;
esac

[[ $(id -u) -eq 0 ]] || die "must be run as root: it creates network namespaces and runs tcpdump and iptables inside them (try: sudo $0 $*)"
GO=${GO:-go} # the Go toolchain (e.g. GO=/usr/local/go/bin/go under sudo)
for cmd in ip ss tcpdump tshark editcap iptables ethtool taskset "$GO" awk sort; do
	command -v "$cmd" >/dev/null || die "missing command '$cmd' (Debian: apt-get install iproute2 tcpdump tshark iptables ethtool util-linux; Go from go.dev or GO=/path/to/go)"
done

SELECTED=("$@")
[[ ${#SELECTED[@]} -gt 0 ]] || SELECTED=("${ALL_SCENARIOS[@]}")
for s in "${SELECTED[@]}"; do
	[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]})"
done

# Namespace a holds 10.99.0.1 and fd99::1 (the client), b holds 10.99.0.2 and
# fd99::2 (the server). Only these private addresses are ever used.
NSA=tfsm-a-$$
NSB=tfsm-b-$$
A4=10.99.0.1 B4=10.99.0.2 A6=fd99::1 B6=fd99::2
MAC_A=02:00:0a:63:00:01 MAC_B=02:00:0a:63:00:02
SETTLE=0.5 # seconds between READY and the ss snapshot

WORK=$(mktemp -d /tmp/tfsm-gen.XXXXXX)
cleanup() {
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "gen.sh: building the driver"
(cd "$ROOT" && "$GO" build -o "$WORK/driver" ./testdata/kernel/driver) || die "cannot build testdata/kernel/driver"
DRIVER=$WORK/driver

# ---------------------------------------------------------------------------
# Scenarios. load_scenario sets:
#   FAMILY 4|6, SPORT (server / end b port), CPORT (client / end a port),
#   MODE cs (client + server drivers) | pair-open | pair-close | self (one
#   socket in a connects to itself: SPORT = CPORT, BE = AE),
#   CAPNS, CAPIF (namespace and interface of the capture: b's veth-b, or a's
#   lo for MODE self),
#   DESC_A, DESC_B, DESC_EXPECT (header comments),
#   EXPECT (the .ss lines this kernel is expected to give; a mismatch is
#   reported and the attempt retried, never edited),
#   CHECK (extra capture check function or ""), ATTEMPTS, ANY (1 for any-sll2).
load_scenario() {
	NAME=$1 FAMILY=4 MODE=cs CHECK="" ATTEMPTS=2 ANY=0 CAPNS=$NSB CAPIF=veth-b
	case $NAME in
	close-client-first) SPORT=9001 CPORT=40001 ;;
	close-server-first) SPORT=9002 CPORT=40002 ;;
	refused) SPORT=9003 CPORT=40003 ;;
	half-close) SPORT=9004 CPORT=40004 ;;
	half-close-then-close) SPORT=9005 CPORT=40005 ;;
	simultaneous-open) SPORT=9006 CPORT=40006 MODE=pair-open CHECK=check_simultaneous_open ATTEMPTS=5 ;;
	simultaneous-close) SPORT=9007 CPORT=40007 MODE=pair-close CHECK=check_simultaneous_close ATTEMPTS=5 ;;
	rst-abort) SPORT=9008 CPORT=40008 ;;
	rst-abort-server) SPORT=9009 CPORT=40009 ;;
	time-wait) SPORT=9010 CPORT=40010 ;;
	time-wait-reuse) SPORT=9011 CPORT=40011 CHECK=check_two_syns ;;
	time-wait-reuse-server) SPORT=9012 CPORT=40012 CHECK=check_two_syns ;;
	ipv6-close) SPORT=9013 CPORT=40013 FAMILY=6 ;;
	any-sll2) SPORT=9014 CPORT=40014 ANY=1 CHECK=check_any_sll2 ;;
	# Packets to a local address go over lo, so these are captured there.
	self-connect) SPORT=40015 CPORT=40015 MODE=self CAPNS=$NSA CAPIF=lo CHECK=check_self_connect ;;
	self-connect-close) SPORT=40016 CPORT=40016 MODE=self CAPNS=$NSA CAPIF=lo CHECK=check_self_connect ;;
	*) die "no such scenario: $NAME" ;;
	esac
	if [[ $FAMILY == 4 ]]; then
		AE=$A4:$CPORT BE=$B4:$SPORT BL=$B4:$SPORT
	else
		AE="[$A6]:$CPORT" BE="[$B6]:$SPORT" BL="[$B6]:$SPORT"
	fi
	[[ $MODE != self ]] || BE=$AE
	local la="a $AE $BE" lb="b $BE $AE" listen="b $BL *:* LISTEN"
	local hello='send "hello", read "world"'
	local shello='read "hello", send "world"'
	case $NAME in
	close-client-first | ipv6-close | any-sll2)
		DESC_A="client: connect, $hello, close()"
		DESC_B="server: listen, accept, $shello, read EOF, close()"
		DESC_EXPECT="a TIME-WAIT (active closer); b CLOSED (only the listener is left)"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"
		;;
	close-server-first)
		DESC_A="client: connect, $hello, read EOF, close()"
		DESC_B="server: listen, accept, $shello, close()"
		DESC_EXPECT="b TIME-WAIT (active closer); a CLOSED"
		EXPECT="$listen"$'\n'"$lb TIME-WAIT"
		;;
	refused)
		DESC_A="client: connect to a port nobody listens on: ECONNREFUSED"
		DESC_B="nothing (no listener)"
		DESC_EXPECT="a CLOSED, b CLOSED (no socket at all)"
		EXPECT=""
		;;
	half-close)
		DESC_A="client: connect, $hello, shutdown(SHUT_WR), keeps reading, socket left open"
		DESC_B='server: listen, accept, '"$shello"', read EOF, send "data 1".."data 3", socket left open'
		DESC_EXPECT="a FIN-WAIT-2, b CLOSE-WAIT"
		EXPECT="$la FIN-WAIT-2"$'\n'"$listen"$'\n'"$lb CLOSE-WAIT"
		;;
	half-close-then-close)
		DESC_A="client: connect, $hello, shutdown(SHUT_WR), keeps reading, socket left open"
		DESC_B='server: listen, accept, '"$shello"', read EOF, send "data 1".."data 3", send "bye", close()'
		DESC_EXPECT="a TIME-WAIT, b CLOSED"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"
		;;
	simultaneous-open)
		DESC_A="bind, non-blocking connect() to b (no listener anywhere); first SYN dropped in OUTPUT by iptables"
		DESC_B="bind, non-blocking connect() to a, microseconds after a; first SYN dropped in OUTPUT; rules removed, both SYN retransmissions cross"
		DESC_EXPECT="a ESTABLISHED, b ESTABLISHED (SYN-SENT -> SYN-RECEIVED -> ESTABLISHED on both)"
		EXPECT="$la ESTABLISHED"$'\n'"$lb ESTABLISHED"
		;;
	simultaneous-close)
		DESC_A="client: connect, $hello, shutdown(SHUT_WR) at the same time as b (FIN held back by iptables, then retransmitted)"
		DESC_B="server: listen, accept, $shello, shutdown(SHUT_WR) at the same time as a (same)"
		DESC_EXPECT="a TIME-WAIT, b TIME-WAIT (FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both)"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"$'\n'"$lb TIME-WAIT"
		;;
	rst-abort)
		DESC_A="client: connect, $hello, close() with SO_LINGER {1,0}: RST"
		DESC_B="server: listen, accept, $shello, read gets ECONNRESET, close()"
		DESC_EXPECT="a CLOSED, b CLOSED"
		EXPECT="$listen"
		;;
	rst-abort-server)
		DESC_A="client: connect, $hello, read gets ECONNRESET, close()"
		DESC_B="server: listen, accept, $shello, close() with SO_LINGER {1,0}: RST"
		DESC_EXPECT="a CLOSED, b CLOSED"
		EXPECT="$listen"
		;;
	time-wait)
		DESC_A="client: connect, close() (no data)"
		DESC_B="server: listen, accept, read EOF, close()"
		DESC_EXPECT="a TIME-WAIT, b CLOSED"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"
		;;
	time-wait-reuse)
		DESC_A="client: connect, $hello, shutdown(SHUT_WR), read EOF (TIME-WAIT), close(); then again from the same port (SO_REUSEADDR, the kernel reuses the TIME-WAIT 4-tuple), $hello, left open"
		DESC_B="server: listen, accept, $shello, read EOF, close(); accept the second connection, $shello, left open"
		DESC_EXPECT="second connection: a ESTABLISHED, b ESTABLISHED"
		EXPECT="$la ESTABLISHED"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	time-wait-reuse-server)
		DESC_A="client: connect, $hello, read EOF, close(); then connect again from the same port, $hello, left open"
		DESC_B="server: listen, accept, $shello, close() first (TIME-WAIT); the new SYN hits the TIME-WAIT socket and is accepted, $shello, left open"
		DESC_EXPECT="second connection: a ESTABLISHED, b ESTABLISHED"
		EXPECT="$la ESTABLISHED"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	self-connect)
		DESC_A='bind, connect() to its own address and port (SYN-SENT gets its own SYN: SYN-RECEIVED, then its own SYN-ACK: ESTABLISHED), send "hello" to itself, read it back, socket left open'
		DESC_B="nothing: the socket talks to itself in namespace a"
		DESC_EXPECT="a ESTABLISHED (one socket, both ends of the connection)"
		EXPECT="$la ESTABLISHED"
		;;
	self-connect-close)
		DESC_A='as self-connect, then shutdown(SHUT_WR) (FIN-WAIT-1), gets its own FIN, which does not ACK that FIN (CLOSING), then the ACK of it (TIME-WAIT); reads EOF, close()'
		DESC_B="nothing: the socket talks to itself in namespace a"
		DESC_EXPECT="a TIME-WAIT (one socket, both ends of the connection; FIN-WAIT-1 -> CLOSING -> TIME-WAIT)"
		EXPECT="$la TIME-WAIT"
		;;
	esac
	EXPECT=$(printf '%s\n' "$EXPECT" | LC_ALL=C sort | sed '/^$/d')
}

# ---------------------------------------------------------------------------
# Helpers (they run inside the per-attempt subshell, under set -e).

fail() {
	echo "  FAILED: $*" >&2
	exit 1
}

# wait_for FILE REGEX SECONDS: wait until a line of FILE matches REGEX; fail
# early if a driver reported ERROR.
wait_for() {
	local f=$1 re=$2 t=$3 i
	for ((i = 0; i < t * 100; i++)); do
		if grep -qE "$re" "$f" 2>/dev/null; then
			return 0
		fi
		if grep -q '^ERROR' "$f" 2>/dev/null; then
			echo "  $(basename "$f"): $(grep '^ERROR' "$f")" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "  timeout waiting for /$re/ in $(basename "$f")" >&2
	return 1
}

PIDS=()
attempt_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
}

setup_netns() {
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip link add veth-a netns "$NSA" address "$MAC_A" type veth peer name veth-b netns "$NSB" address "$MAC_B"
	local ns dev a4 a6
	for ns in "$NSA" "$NSB"; do
		if [[ $ns == "$NSA" ]]; then dev=veth-a a4=$A4 a6=$A6; else dev=veth-b a4=$B4 a6=$B6; fi
		ip -n "$ns" link set lo up
		# Pin the TCP settings the captures depend on (these are the defaults of
		# a new namespace anyway; the congestion control, which the captures do
		# not depend on, is the host's).
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
			net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=2 net.ipv4.tcp_syn_retries=6 >/dev/null
		# Compute checksums in software, so that the capture has correct ones.
		ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
		ip -n "$ns" addr add "$a4/24" dev "$dev" noprefixroute
		ip -n "$ns" -6 addr add "$a6/64" dev "$dev" nodad noprefixroute
		ip -n "$ns" link set "$dev" up
		# quickack: ACK every segment at once, never delay an ACK; this makes
		# the packet sequence independent of the delayed-ACK timer.
		ip -n "$ns" route add 10.99.0.0/24 dev "$dev" src "$a4" quickack 1
		ip -n "$ns" -6 route add fd99::/64 dev "$dev" quickack 1
	done
}

# start_capture IFACE FILE: tcpdump in namespace CAPNS, wait until it listens.
start_capture() {
	local iface=$1 file=$2
	ip netns exec "$CAPNS" tcpdump -i "$iface" -w "$file" -U --immediate-mode -Z root -nn "tcp port $SPORT" 2>"$file.log" &
	PIDS+=($!)
	CAPTURES+=($!)
	CAPLOGS+=("$file.log")
	wait_for "$file.log" 'listening on' 10 || fail "tcpdump on $iface did not start: $(cat "$file.log")"
}

stop_captures() {
	local i
	for i in "${!CAPTURES[@]}"; do
		kill -INT "${CAPTURES[i]}" 2>/dev/null || fail "tcpdump exited before the end: $(cat "${CAPLOGS[i]}")"
		wait "${CAPTURES[i]}" || true
	done
}

# setup_self: namespace a talks to itself over lo. As on the veths, ACK at
# once (quickack on the local route of 10.99.0.1, which is what packets to a
# local address use) and have correct checksums in the capture: lo's
# tx-checksum offload cannot be turned off (it is "fixed"), so the iptables
# CHECKSUM target computes each outgoing TCP checksum of the scenario's port
# in software before the packet reaches lo.
setup_self() {
	ip -n "$NSA" route replace local "$A4" dev veth-a table local proto kernel scope host src "$A4" quickack 1
	ip netns exec "$NSA" iptables -t mangle -A OUTPUT -o lo -p tcp --sport "$CPORT" -j CHECKSUM --checksum-fill
}

# driver NAME NETNS ARGS...: start a driver (NETNS "" = this namespace, pinned to CPU 0).
driver() {
	local name=$1 ns=$2
	shift 2
	if [[ -n $ns ]]; then
		ip netns exec "$ns" "$DRIVER" -scenario "$NAME" "$@" >"$ATT/$name.out" 2>"$ATT/$name.err" &
	else
		taskset -c 0 "$DRIVER" -scenario "$NAME" "$@" >"$ATT/$name.out" 2>"$ATT/$name.err" &
	fi
	PIDS+=($!)
	DRIVERS+=($!)
}

# ss_lines LABEL RAWFILE: the .ss lines of one namespace's `ss -tanoi` output.
ss_lines() {
	awk -v lab="$1" -v ports=" $SPORT $CPORT " '
	BEGIN {
		m["ESTAB"] = "ESTABLISHED"; m["SYN-SENT"] = "SYN-SENT"; m["SYN-RECV"] = "SYN-RECEIVED"
		m["FIN-WAIT-1"] = "FIN-WAIT-1"; m["FIN-WAIT-2"] = "FIN-WAIT-2"; m["TIME-WAIT"] = "TIME-WAIT"
		m["CLOSE-WAIT"] = "CLOSE-WAIT"; m["LAST-ACK"] = "LAST-ACK"; m["CLOSING"] = "CLOSING"
		m["LISTEN"] = "LISTEN"; m["UNCONN"] = "CLOSED"; m["CLOSE"] = "CLOSED"
	}
	($1 in m) && NF >= 5 {
		loc = $4; peer = $5
		lp = loc; sub(/.*:/, "", lp); pp = peer; sub(/.*:/, "", pp)
		if (index(ports, " " lp " ") == 0 && index(ports, " " pp " ") == 0) next
		if (pp == "*") peer = "*:*"
		print lab, loc, peer, m[$1]
	}' "$2"
}

snapshot() {
	ip netns exec "$NSA" ss -tanoi >"$ATT/ss.a"
	ip netns exec "$NSB" ss -tanoi >"$ATT/ss.b"
	{
		echo "# scenario: $NAME"
		echo "# raw 'ss -tanoi' of namespace a ($A4, $A6), then of namespace b ($B4, $B6)"
		echo "# --- namespace a"
		cat "$ATT/ss.a"
		echo "# --- namespace b"
		cat "$ATT/ss.b"
	} >"$OUT/$NAME.ss.raw"
	{
		echo "# scenario: $NAME"
		echo "# a: ${AE} ($DESC_A)"
		if [[ $MODE == self ]]; then
			echo "# b: $DESC_B"
		else
			echo "# b: ${BE} ($DESC_B)"
		fi
		echo "# expected: $DESC_EXPECT"
		echo "# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED"
		echo "# source: ss -tanoi in both namespaces once the traffic had settled (Linux $(uname -r))"
		{
			ss_lines a "$ATT/ss.a"
			ss_lines b "$ATT/ss.b"
		} | LC_ALL=C sort
	} >"$OUT/$NAME.ss"
}

# Capture checks: tshark fields, one line per packet, comma separated:
# 1 ip.src, 2 ipv6.src, 3 SYN, 4 ACK, 5 FIN, 6 RST, 7 seq, 8 ack, 9 payload length.
fields() {
	tshark -r "$1" -T fields -E separator=, -e ip.src -e ipv6.src -e tcp.flags.syn -e tcp.flags.ack \
		-e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null
}

# The first two packets are bare SYNs, one from each end (RFC 9293 Figure 7).
check_simultaneous_open() {
	fields "$1" | awk -F, '
	NR <= 2 { if (!($3 == 1 && $4 == 0)) bad = 1; src[NR] = $1 $2 }
	END { exit (bad || NR < 4 || src[1] == src[2]) }' ||
		{ echo "  the two bare SYNs do not both come before any SYN-ACK" >&2; return 1; }
}

# Both FINs are on the wire before any ACK of either FIN.
check_simultaneous_close() {
	fields "$1" | awk -F, '
	function acks(a, e) { d = a - e; if (d < 0) d += 4294967296; return d < 2147483648 }
	{
		src = $1 $2
		for (s in finend)
			if (s != src && $4 == 1 && !(s in ackat) && acks($8, finend[s])) ackat[s] = NR
		if ($5 == 1 && !(src in finat)) { finat[src] = NR; finend[src] = ($7 + $9 + 1) % 4294967296 }
	}
	END {
		nf = 0; na = 0; lastfin = 0; firstack = 1e9
		for (s in finat) { nf++; if (finat[s] > lastfin) lastfin = finat[s] }
		for (s in ackat) { na++; if (ackat[s] < firstack) firstack = ackat[s] }
		exit !(nf == 2 && na == 2 && lastfin < firstack)
	}' || { echo "  the FINs did not cross (an ACK of a FIN precedes the other FIN)" >&2; return 1; }
}

# Two connections, hence two SYNs from the client, on the one 4-tuple.
check_two_syns() {
	local n
	n=$(fields "$1" | awk -F, '$3 == 1 && $4 == 0' | wc -l)
	[[ $n -eq 2 ]] || { echo "  expected 2 SYNs, found $n" >&2; return 1; }
}

# Self-connect: every packet goes from the one socket to itself; the first is
# a bare SYN and the second the SYN-ACK of that same SYN (same ISN, ACK =
# ISN + 1); no segment appears twice (tcpdump on lo keeps only the incoming
# copy of each packet).
check_self_connect() {
	tshark -r "$1" -T fields -E separator=, -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.flags.push \
		-e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null | awk -F, -v port="$CPORT" '
	$1 != $2 || $3 != port || $4 != port { bad = "a packet is not from the socket to itself" }
	seen[$5 $6 $7 $8 $9 "," $10 "," $11 "," $12]++ { bad = "a segment appears twice" }
	NR == 1 { isn = $10; if (!($5 == 1 && $6 == 0)) bad = "the first packet is not a bare SYN" }
	NR == 2 && !($5 == 1 && $6 == 1 && $10 == isn && $11 == (isn + 1) % 4294967296) {
		bad = "the second packet is not the SYN-ACK of the first SYN"
	}
	END {
		if (NR < 3) bad = "fewer than 3 packets"
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

linktype() {
	tcpdump -r "$1" 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p' | head -1
}

check_any_sll2() {
	local lt a b c
	lt=$(linktype "$OUT/any-sll2.pcap")
	[[ $lt == LINUX_SLL2 ]] || { echo "  any-sll2.pcap has link type $lt, not LINUX_SLL2" >&2; return 1; }
	a=$(tcpdump -nn -t -r "$OUT/any-sll2.pcap" 2>/dev/null | sed -E 's/^.*(IP6? )/\1/')
	b=$(tcpdump -nn -t -r "$OUT/any-sll2.eth.pcap" 2>/dev/null | sed -E 's/^.*(IP6? )/\1/')
	c=$(tcpdump -nn -t -r "$OUT/any-sll2.pcapng" 2>/dev/null | sed -E 's/^.*(IP6? )/\1/')
	[[ -n $a && $a == "$b" && $b == "$c" ]] || { echo "  the three any-sll2 captures differ" >&2; return 1; }
}

# run_attempt: one attempt at the current scenario, results in $OUT. Runs in a
# subshell with its own cleanup.
run_attempt() {
	trap attempt_cleanup EXIT
	trap 'exit 130' INT TERM
	PIDS=() CAPTURES=() CAPLOGS=() DRIVERS=()
	rm -rf "$ATT" "$OUT"
	mkdir -p "$ATT" "$OUT"

	setup_netns
	[[ $MODE != self ]] || setup_self
	if [[ $ANY == 1 ]]; then
		# The same traffic twice: on the veth (Ethernet) and on "any" (LINUX_SLL2).
		start_capture veth-b "$OUT/$NAME.eth.pcap"
		start_capture any "$OUT/$NAME.pcap"
	else
		start_capture "$CAPIF" "$OUT/$NAME.pcap"
	fi

	case $MODE in
	cs)
		driver server "$NSB" -role server -local "$BE" -peer "$AE"
		wait_for "$ATT/server.out" '^(LISTENING|READY)' 10 || fail "server did not start"
		driver client "$NSA" -role client -local "$AE" -peer "$BE"
		wait_for "$ATT/client.out" '^READY' 15 || fail "client did not finish"
		wait_for "$ATT/server.out" '^READY' 15 || fail "server did not finish"
		;;
	pair-open)
		# Keep each end's first (bare) SYN off the wire.
		ip netns exec "$NSA" iptables -A OUTPUT -p tcp --sport "$CPORT" --dport "$SPORT" --tcp-flags SYN,ACK SYN -j DROP
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --dport "$CPORT" --tcp-flags SYN,ACK SYN -j DROP
		driver pair "" -role pair -netns-a "$NSA" -netns-b "$NSB" -a "$AE" -b "$BE"
		wait_for "$ATT/pair.out" '^SYN-SENT' 10 || fail "connects not issued"
		ip netns exec "$NSA" iptables -F OUTPUT
		ip netns exec "$NSB" iptables -F OUTPUT
		wait_for "$ATT/pair.out" '^READY' 15 || fail "no simultaneous open"
		;;
	pair-close)
		driver pair "" -role pair -netns-a "$NSA" -netns-b "$NSB" -a "$AE" -b "$BE"
		wait_for "$ATT/pair.out" '^STEP close' 10 || fail "no connection"
		# Keep both FINs off the wire until both ends have closed.
		ip netns exec "$NSA" iptables -A OUTPUT -p tcp --sport "$CPORT" --dport "$SPORT" --tcp-flags FIN FIN -j DROP
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --dport "$CPORT" --tcp-flags FIN FIN -j DROP
		kill -USR1 "${DRIVERS[0]}"
		wait_for "$ATT/pair.out" '^FIN-QUEUED' 10 || fail "shutdowns not issued"
		ip netns exec "$NSA" iptables -F OUTPUT
		ip netns exec "$NSB" iptables -F OUTPUT
		wait_for "$ATT/pair.out" '^READY' 15 || fail "no close"
		;;
	self)
		driver client "$NSA" -role client -local "$AE" -peer "$AE"
		wait_for "$ATT/client.out" '^READY' 15 || fail "no self-connect"
		;;
	esac

	sleep "$SETTLE"
	snapshot
	stop_captures # before the drivers exit: their exit traffic is not captured
	for p in "${DRIVERS[@]}"; do
		kill -TERM "$p" 2>/dev/null || fail "a driver exited before it was told to"
		wait "$p" || true
	done
	PIDS=()
	ip netns del "$NSA"
	ip netns del "$NSB"

	local log
	for log in "$OUT"/*.log; do
		grep -q '^0 packets dropped by kernel' "$log" || fail "tcpdump dropped packets: $(cat "$log")"
		rm -f "$log"
	done
	local eth=$OUT/$NAME.pcap
	[[ $ANY == 0 ]] || eth=$OUT/$NAME.eth.pcap
	[[ $(linktype "$eth") == EN10MB ]] || fail "$(basename "$eth") is not Ethernet"
	if [[ $ANY == 1 ]]; then
		editcap -F pcapng "$OUT/$NAME.eth.pcap" "$OUT/$NAME.pcapng"
	fi
	echo "  capture:"
	tcpdump -nn -t -r "$OUT/$NAME.pcap" 2>/dev/null | sed 's/^/    /'
	echo "  $NAME.ss:"
	{ grep -v '^#' "$OUT/$NAME.ss" || true; } | sed 's/^/    /'
	if [[ -n $CHECK ]]; then
		$CHECK "$OUT/$NAME.pcap" || fail "capture check $CHECK"
	fi
	local got
	got=$(grep -v '^#' "$OUT/$NAME.ss" || true)
	if [[ $got != "$EXPECT" ]]; then
		echo "  expected .ss lines:" >&2
		printf '%s\n' "$EXPECT" | sed 's/^/    /' >&2
		fail "the kernel's states differ from the expected ones"
	fi
}

FAILED=()
for NAME in "${SELECTED[@]}"; do
	load_scenario "$NAME"
	ATT=$WORK/att OUT=$WORK/out
	ok=0
	for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
		echo "gen.sh: $NAME (attempt $attempt/$ATTEMPTS)"
		set +e
		(
			set -e
			run_attempt
		)
		rc=$?
		set -e
		[[ $rc -ne 130 ]] || exit 130
		if [[ $rc -eq 0 ]]; then
			ok=1
			break
		fi
		for f in "$ATT"/*.err "$OUT"/*.log; do
			[[ -s $f ]] && { echo "  --- $(basename "$f")"; sed 's/^/    /' "$f"; } >&2
		done
	done
	if [[ $ok == 1 ]]; then
		cp "$OUT"/* "$DEST/"
		echo "gen.sh: $NAME: ok ($(cd "$OUT" && echo *))"
	else
		FAILED+=("$NAME")
		echo "gen.sh: $NAME: FAILED after $ATTEMPTS attempts; its files were not updated" >&2
	fi
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
	die "failed: ${FAILED[*]}"
fi
echo "gen.sh: done"
