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
#
# Drills: with DRILL_TOOL=/path/to/tcpflow-fsm (and DEST), each scenario is also
# a live drill: the tool captures live beside tcpdump, on the same
# interface and filter, with --json; gen.sh notes when the incident starts,
# waits (bounded) for the findings the drill expects, interrupts the tool
# before the drivers exit, and keeps, beside the capture and the .ss:
#
#   <scenario>.live.jsonl  the tool's records, each with "arrived", when it
#                          came out (Unix seconds; see stamp/)
#   <scenario>.live.err    the tool's standard error
#   <scenario>.drill       the drill: its flags, the findings expected, by
#                          when, when the incident started, when the tool
#                          was interrupted and how it exited
#
# With no argument every drill is made. cmd/tcpflow-fsm's TestDrills
# judges them (TCPFLOW_DRILL_DIR=DEST); drill.sh does all of it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# DRILL_TOOL: the tcpflow-fsm binary of the drills (none: no drill).
TOOL=${DRILL_TOOL:-}
# How long a drill waits past DRILL_WITHIN for a finding that is late.
DRILL_GRACE=${DRILL_GRACE:-3}
# Drills and the scenarios made for them only (EXTRA_SCENARIOS) write
# outputs that must not land beside the committed captures.
DEST_SET=${DEST:+1}
# DEST is where the finished files go: next to this script unless set (CI
# regenerates into a temporary folder and checks those against ss again).
DEST=${DEST:-$HERE}

ALL_SCENARIOS=(
	close-client-first close-server-first refused half-close
	half-close-then-close simultaneous-open simultaneous-close rst-abort
	rst-abort-server time-wait time-wait-reuse time-wait-reuse-server
	ipv6-close any-sll2 self-connect self-connect-close
	loss zero-window zero-window-fin zero-window-fin-fits keepalive
	syn-dropped peer-vanishes server-lost
	syn-flood close-wait-leak client-never-reads
	rst-race-after-close data-crossing-rst rst-crossing fin-crossing-rst
	synack-lost-at-client
	listen-overflow keepalive-timeout time-wait-pileup
)
# Scenarios made for the drills only, not committed: made into DEST only.
EXTRA_SCENARIOS=(server-crash loss-heavy idle)
# The drills (DRILL_TOOL set), in the issue's order: the incidents, then the
# traffic on which no finding may fire. See load_drill.
DRILLS=(
	close-wait-leak time-wait-pileup client-never-reads listen-overflow
	synack-lost-at-client refused server-crash peer-vanishes keepalive-timeout
	loss-heavy idle close-client-first
)

die() {
	echo "gen.sh: $*" >&2
	exit 1
}

case "${1:-}" in
-h | --help)
	echo "usage: $0 [SCENARIO...]   (as root)"
	echo "scenarios: ${ALL_SCENARIOS[*]}"
	echo "more scenarios (with DEST only): ${EXTRA_SCENARIOS[*]}"
	echo "drills (DRILL_TOOL=path/to/tcpflow-fsm DEST=dir): ${DRILLS[*]}"
	exit 0
	;;
esac

[[ $(id -u) -eq 0 ]] || die "must be run as root: it creates network namespaces and runs tcpdump and iptables inside them (try: sudo $0 $*)"
GO=${GO:-go} # the Go toolchain (e.g. GO=/usr/local/go/bin/go under sudo)
for cmd in ip ss tcpdump tshark editcap iptables ethtool taskset "$GO" awk sort; do
	command -v "$cmd" >/dev/null || die "missing command '$cmd' (Debian: apt-get install iproute2 tcpdump tshark iptables ethtool util-linux; Go from go.dev or GO=/path/to/go)"
done

SELECTED=("$@")
if [[ ${#SELECTED[@]} -eq 0 ]]; then
	if [[ -n $TOOL ]]; then SELECTED=("${DRILLS[@]}"); else SELECTED=("${ALL_SCENARIOS[@]}"); fi
fi
for s in "${SELECTED[@]}"; do
	if [[ " ${EXTRA_SCENARIOS[*]} " == *" $s "* ]]; then
		[[ -n $DEST_SET ]] || die "$s is made for the drills only: set DEST (its files must not land in $HERE)"
		continue
	fi
	[[ " ${ALL_SCENARIOS[*]} " == *" $s "* ]] || die "unknown scenario '$s' (known: ${ALL_SCENARIOS[*]} ${EXTRA_SCENARIOS[*]})"
done
if [[ -n $TOOL ]]; then
	[[ -n $DEST_SET ]] || die "DRILL_TOOL set: set DEST too (the drills' files must not land in $HERE)"
	[[ -x $TOOL ]] || die "DRILL_TOOL=$TOOL is not an executable (build it: go build -o /tmp/tcpflow-fsm ./cmd/tcpflow-fsm)"
	TOOL=$(cd "$(dirname "$TOOL")" && pwd)/$(basename "$TOOL")
	for s in "${SELECTED[@]}"; do
		[[ " ${DRILLS[*]} " == *" $s "* ]] || die "$s is no drill (drills: ${DRILLS[*]})"
	done
fi
mkdir -p "$DEST"

# Namespace a holds 10.99.0.1 and fd99::1 (the client), b holds 10.99.0.2 and
# fd99::2 (the server). Only these private addresses are ever used.
NSA=tfsm-a-$$
NSB=tfsm-b-$$
A4=10.99.0.1 B4=10.99.0.2 A6=fd99::1 B6=fd99::2
MAC_A=02:00:0a:63:00:01 MAC_B=02:00:0a:63:00:02

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
if [[ -n $TOOL ]]; then
	(cd "$ROOT" && "$GO" build -o "$WORK/stamp" ./testdata/kernel/stamp) || die "cannot build testdata/kernel/stamp"
	STAMP=$WORK/stamp
fi

# ---------------------------------------------------------------------------
# Scenarios. load_scenario sets:
#   FAMILY 4|6, SPORT (server / end b port), CPORT (client / end a port;
#   with CONNS > 1 the first of CONNS client ports CPORT, CPORT+1, ...),
#   MODE cs (client + server drivers) | pair-open | pair-close | pair-race
#   (both ends in one process; at its STEP delay a queue on a's path to b,
#   see race_queue) | self (one socket in a connects to itself: SPORT =
#   CPORT, BE = AE),
#   CAPNS, CAPIF (namespace and interface of the capture: b's veth-b, or a's
#   lo for MODE self),
#   DESC_A, DESC_B, DESC_EXPECT (header comments),
#   EXPECT (the .ss lines this kernel is expected to give; a mismatch is
#   reported and the attempt retried, never edited),
#   CHECK (extra capture check function or ""), ATTEMPTS, ANY (1 for any-sll2),
#   SETTLE (seconds between READY and the ss snapshot), or AWAIT, AWAITN,
#   AWAITMAX (the snapshot as soon as the capture holds AWAITN packets that
#   match the tcpdump filter AWAIT, at most AWAITMAX seconds after READY:
#   see await_capture),
#   SNAPLEN (tcpdump -s; "" = tcpdump's default),
#   SPORT2, CPORT2 (listen-overflow: the ports of a second connection, to a
#   second listener of b; captured and listed in the .ss too),
#   STEPS (MODE cs: "who:step ...", see on_step),
#   SHAPE (check_shape: the packets the capture must hold, see shape).
# queued_clients N: the expected lines of the CONNS clients, from CPORT up,
# of a listener that never accepts: the first N ESTABLISHED (in its accept
# queue), the others SYN-SENT (their SYNs dropped).
queued_clients() {
	local i st
	for ((i = 0; i < CONNS; i++)); do
		st=SYN-SENT
		((i >= $1)) || st=ESTABLISHED
		echo "a $A4:$((CPORT + i)) $BE $st"
	done
}

# clients_in A [B]: the expected lines of the CONNS connections from CPORT
# up: each client end in state A and, when B is given, each server end in
# state B.
clients_in() {
	local i
	for ((i = 0; i < CONNS; i++)); do
		echo "a $A4:$((CPORT + i)) $BE $1"
		[[ -z ${2:-} ]] || echo "b $BE $A4:$((CPORT + i)) $2"
	done
}

load_scenario() {
	NAME=$1 FAMILY=4 MODE=cs CHECK="" ATTEMPTS=2 ANY=0 CAPNS=$NSB CAPIF=veth-b
	SETTLE=0.5 SNAPLEN="" STEPS="" PIN="" CONNS=1 AWAIT="" AWAITN=0 AWAITMAX=10 SHAPE="" SPORT2="" CPORT2="" LOSS=""
	# Filters for AWAIT: a's bare SYNs; b's pure ACKs without data.
	local syn_a="src host $A4 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
	# The handshake and the hello/world exchange, as shape writes them.
	local HELLO_SHAPE="aS bS. a. a.(6) b. b.(6) a."
	local ack_b="src host $B4 and tcp[tcpflags] == tcp-ack and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0"
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
	# The kernel under stress (see setup_scenario and on_step).
	loss) SPORT=9017 CPORT=40017 SNAPLEN=128 CHECK=check_loss ATTEMPTS=3 PIN="taskset -c 0" LOSS=0.03 ;;
	zero-window) SPORT=9018 CPORT=40018 SNAPLEN=128 CHECK=check_zero_window ;;
	zero-window-fin) SPORT=9019 CPORT=40019 SNAPLEN=128 SETTLE=2 CHECK=check_zero_window ;;
	zero-window-fin-fits) SPORT=9020 CPORT=40020 SNAPLEN=128 CHECK=check_zero_window_fin_fits ;;
	# keepalive, syn-dropped and syn-flood go on sending as long as they
	# run: rather than sleep for as long as the packets wanted take (a sleep
	# that on a busy host ends late, after one more), the snapshot comes
	# once they are in the capture, ~1 s before the next is due. The checks
	# accept a late one all the same.
	# keepalive: keep-alives 1 s apart from ~1 s after READY; the snapshot
	# once b has ACKed the third: b's 4th pure ACK (the first is the ACK of
	# "hello").
	keepalive) SPORT=9021 CPORT=40021 AWAIT=$ack_b AWAITN=4 CHECK=check_keepalive ;;
	# syn-dropped: kernels with net.ipv4.tcp_syn_linear_timeouts (default 4)
	# resend the first SYNs 1 s apart, older ones after 1, 2, 4 s ...: SYNs
	# at 0, 1, 2 s or at 0, 1, 3 s. The snapshot once the third is in.
	syn-dropped) SPORT=9022 CPORT=40022 AWAIT=$syn_a AWAITN=3 CHECK=check_syn_dropped ;;
	peer-vanishes) SPORT=9023 CPORT=40023 STEPS="client:vanish" CHECK=check_peer_vanishes ;;
	server-lost) SPORT=9024 CPORT=40024 STEPS="server:abort client:send" CHECK=check_server_lost ;;
	# Applications that misbehave. syn-flood: the client's READY comes
	# 0.4 s after its burst of connects; the snapshot once the SYNs
	# retransmitted at 2 s are in (1 SYN from each of the first three ports,
	# 3 from each other one; on an older kernel, third SYNs at 3 s): after
	# the SYN retransmissions of 1 and 2 s and the SYN-ACK retransmission of
	# 1 s, before those of 3 s. Both drivers on CPU 0, so that all the
	# timers of the burst run on one CPU. -s 128: with the default snapshot
	# length tcpdump's buffer holds only a few packets, and it dropped some
	# of the burst's.
	syn-flood)
		SPORT=9025 CPORT=42500 CONNS=30 SNAPLEN=128 PIN="taskset -c 0" CHECK=check_syn_flood ATTEMPTS=3
		AWAIT=$syn_a AWAITN=$((3 + 3 * (CONNS - 3)))
		;;
	close-wait-leak) SPORT=9026 CPORT=42600 CONNS=4 CHECK=check_close_wait_leak ;;
	client-never-reads) SPORT=9027 CPORT=40027 SNAPLEN=128 CHECK=check_client_never_reads ;;
	# Races (driver/race.go): segments of a that cross a RST of b. Each
	# capture starts with the handshake and the hello/world exchange; then
	# a's first segment, which reaches b at once, and b's ACK of it; then
	# what b does, and what a had queued before it knew.
	rst-race-after-close)
		SPORT=9028 CPORT=40028 MODE=pair-race CHECK=check_shape ATTEMPTS=3
		SHAPE="$HELLO_SHAPE a.(7) b. bR. a.(7) bR a.(7) bR a.(7) bR a.(7) bR"
		;;
	data-crossing-rst)
		SPORT=9029 CPORT=40029 MODE=pair-race CHECK=check_shape ATTEMPTS=3
		SHAPE="$HELLO_SHAPE a.(7) b. b.(4) bR. a.(7) bR a.(7) bR a.(7) bR a.(7) bR a. bR"
		;;
	rst-crossing)
		SPORT=9030 CPORT=40030 MODE=pair-race CHECK=check_shape ATTEMPTS=3
		SHAPE="$HELLO_SHAPE a.(7) b. bR. aR."
		;;
	fin-crossing-rst)
		SPORT=9031 CPORT=40031 MODE=pair-race CHECK=check_shape ATTEMPTS=3
		SHAPE="$HELLO_SHAPE a.(7) b. bR. aF. bR"
		;;
	# b's SYN-ACK is dropped in a's INPUT (after the capture point): a sends
	# its SYN again 1 s later. The snapshot once that SYN is in the capture
	# (the next is due 1 s later).
	synack-lost-at-client) SPORT=9032 CPORT=40032 AWAIT=$syn_a AWAITN=2 CHECK=check_synack_lost ;;
	# listen-overflow: 6 clients 100 ms apart to a listener that never
	# accepts (backlog 1): the first two fill the accept queue, the SYNs of
	# the other four are dropped and sent again 1 s apart; meanwhile a
	# second listener of b (port SPORT2) serves one connection. The
	# snapshot once each of the four has sent its SYN three times (the
	# last at ~2.5 s), ~1 s before the next are due.
	listen-overflow)
		SPORT=9033 CPORT=42700 CONNS=6 SPORT2=9034 CPORT2=40034 CHECK=check_listen_overflow ATTEMPTS=3
		AWAIT=$syn_a AWAITN=$((2 + 1 + 3 * (CONNS - 2)))
		;;
	keepalive-timeout)
		SPORT=9035 CPORT=40035 STEPS="client:vanish" CHECK=check_keepalive_timeout
		# Handshake, exchange, the 3 unanswered keep-alives (TCP_KEEPCNT),
		# the RST of a's kernel giving up.
		SHAPE="$HELLO_SHAPE a. a. a. aR."
		;;
	# 1,000 connections, one after the other, 11 packets each: headers
	# only (-s 128), ~0.9 MB. Both drivers on CPU 0, tcpdump has the other.
	time-wait-pileup)
		SPORT=9036 CPORT=43000 CONNS=1000 SNAPLEN=128 PIN="taskset -c 0" CHECK=check_time_wait_pileup
		SHAPE="aS bS. a. a.(4) b. b.(3) a. aF. b. bF. a."
		;;
	# Made for the drills only (EXTRA_SCENARIOS). server-crash: the
	# handshake, the exchange, a's request, b's ACK of it, and the RST of
	# the crash (b's kernel closing a connection with unread data).
	server-crash)
		SPORT=9037 CPORT=40037 STEPS="server:crash" CHECK=check_shape
		SHAPE="$HELLO_SHAPE a.(8) b. bR."
		;;
	loss-heavy) SPORT=9038 CPORT=40038 SNAPLEN=128 CHECK=check_loss ATTEMPTS=3 PIN="taskset -c 0" LOSS=0.10 ;;
	idle) SPORT=9039 CPORT=40039 ;;
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
	loss)
		DESC_A="client: connect, send 256 KiB, read 3 MiB, close(); iptables in a's INPUT drops 3% of b's segments longer than 100 bytes (data)"
		DESC_B="server: listen, accept, read 256 KiB, send 3 MiB, read EOF, close(); iptables in b's INPUT drops 3% of a's data segments"
		DESC_EXPECT="a TIME-WAIT, b CLOSED (as close-client-first, after retransmissions)"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"
		;;
	zero-window)
		DESC_A="client: connect (SO_SNDBUF 32 KiB), write until the send buffer is full and the window zero, wait 1.5 s (zero-window probes), close(): FIN queued behind unsent data"
		DESC_B="server: listen (SO_RCVBUF 16 KiB), accept, never read"
		DESC_EXPECT="a FIN-WAIT-1 (FIN not sent), b ESTABLISHED"
		EXPECT="$la FIN-WAIT-1"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	zero-window-fin)
		DESC_A="client: connect, write exactly what the window takes until it is all acknowledged and the window is zero, close(): only the FIN is left to send, and it does not fit"
		DESC_B="server: listen (SO_RCVBUF 16 KiB), accept, never read"
		DESC_EXPECT="a FIN-WAIT-1 (FIN not sent into the zero window), b ESTABLISHED"
		EXPECT="$la FIN-WAIT-1"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	zero-window-fin-fits)
		DESC_A="client: connect, write what the window takes but one octet until it is all acknowledged, close(): the FIN fills the window's last octet"
		DESC_B="server: listen (SO_RCVBUF 16 KiB), accept, never read"
		DESC_EXPECT="a FIN-WAIT-2, b CLOSE-WAIT (the FIN is accepted and ACKed with a zero window)"
		EXPECT="$la FIN-WAIT-2"$'\n'"$listen"$'\n'"$lb CLOSE-WAIT"
		;;
	keepalive)
		DESC_A="client: connect, $hello, then SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, idle until the third keep-alive is ACKed"
		DESC_B="server: listen, accept, $shello, idle"
		DESC_EXPECT="a ESTABLISHED, b ESTABLISHED"
		EXPECT="$la ESTABLISHED"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	syn-dropped)
		DESC_A="client: non-blocking connect(); its SYN is sent again after 1 s and again (the capture stops once 3 SYNs are in), never answered"
		DESC_B="server: listen; iptables in b's INPUT drops the SYNs to its port (the capture still sees them)"
		DESC_EXPECT="a SYN-SENT, b CLOSED (only the listener)"
		EXPECT="$la SYN-SENT"$'\n'"$listen"
		;;
	peer-vanishes)
		DESC_A="client: connect, $hello, then (b vanished) send 14 bytes, retransmitted until tcp_retries2 (3) gives up: ETIMEDOUT"
		DESC_B="server: listen, accept, $shello, left open; then iptables in b drops everything of the connection both ways"
		DESC_EXPECT="a CLOSED (timed out, nothing sent), b ESTABLISHED"
		EXPECT="$listen"$'\n'"$lb ESTABLISHED"
		;;
	server-lost)
		DESC_A="client: connect, $hello, then send 13 bytes: the answer is a RST, read gets ECONNRESET, close()"
		DESC_B="server: listen, accept, $shello, close() with SO_LINGER {1,0} while iptables in b's OUTPUT drops RSTs (the RST never reaches the wire); the kernel answers the client's data with a RST"
		DESC_EXPECT="a CLOSED, b CLOSED"
		EXPECT="$listen"
		;;
	syn-flood)
		DESC_A="client: connect from port $CPORT (it waits in b's accept queue), then a burst of non-blocking connect()s from the next $((CONNS - 1)) ports; the first of them with TCP_QUICKACK 0, so its final ACK is a delayed ACK (200 ms)"
		DESC_B="server: listen(fd, 1), never accept(); SYN cookies off, tcp_max_syn_backlog 8 in b"
		DESC_EXPECT="ports $CPORT and $((CPORT + 2)) ESTABLISHED at both ends (b: in the accept queue, now full); port $((CPORT + 1)) a ESTABLISHED, b SYN-RECEIVED (its late ACK dropped by the full accept queue); the others a SYN-SENT (SYNs dropped), b CLOSED"
		EXPECT=$(
			echo "$listen"
			queued_clients 3
			echo "b $BE $A4:$CPORT ESTABLISHED"
			echo "b $BE $A4:$((CPORT + 1)) SYN-RECEIVED"
			echo "b $BE $A4:$((CPORT + 2)) ESTABLISHED"
		)
		;;
	close-wait-leak)
		DESC_A="$CONNS clients one after the other: connect, $hello, close()"
		DESC_B="server: listen, accept each, $shello, read EOF, never close()"
		DESC_EXPECT="every a FIN-WAIT-2, every b CLOSE-WAIT"
		EXPECT=$(
			echo "$listen"
			clients_in FIN-WAIT-2 CLOSE-WAIT
		)
		;;
	rst-race-after-close)
		DESC_A="client: connect, $hello, TCP_NODELAY, then 5 writes \"data 1\"..\"data 5\" at once; the first reaches b, the others wait in a's queue (tbf) and cross b's RST; the RST closes a (ECONNRESET), close()"
		DESC_B="server: listen, accept, $shello, close() with \"data 1\" unread: RST; the kernel answers each later segment with a RST (SEQ = its ACK)"
		DESC_EXPECT="a CLOSED, b CLOSED (only the listener)"
		EXPECT="$listen"
		;;
	data-crossing-rst)
		DESC_A="client: connect, $hello, TCP_NODELAY, then 5 writes at once (the first reaches b, the others wait in a's queue); gets \"bye\", ACKs it (the ACK queues behind the data); the RST closes a (ECONNRESET), close()"
		DESC_B="server: listen, accept, $shello, read \"data 1\", send \"bye\", close() with SO_LINGER {1,0}: RST; the kernel answers each later segment with a RST (SEQ = its ACK)"
		DESC_EXPECT="a CLOSED, b CLOSED (only the listener)"
		EXPECT="$listen"
		;;
	rst-crossing)
		DESC_A="client: connect, $hello, send \"data 1\" (it empties a's queue's token bucket), close() with SO_LINGER {1,0}: its RST waits in the queue"
		DESC_B="server: listen, accept, $shello, read \"data 1\", close() with SO_LINGER {1,0} microseconds after a: its RST reaches a, which has no socket; a's RST reaches b, which has none either"
		DESC_EXPECT="a CLOSED, b CLOSED (only the listener)"
		EXPECT="$listen"
		;;
	fin-crossing-rst)
		DESC_A="client: connect, $hello, send \"data 1\", shutdown(SHUT_WR): the FIN waits in a's queue; b's RST closes a in FIN-WAIT-1 (ECONNRESET), close()"
		DESC_B="server: listen, accept, $shello, read \"data 1\", close() with SO_LINGER {1,0}: RST; the kernel answers a's FIN, which comes after, with a RST (SEQ = its ACK)"
		DESC_EXPECT="a CLOSED, b CLOSED (only the listener)"
		EXPECT="$listen"
		;;
	synack-lost-at-client)
		DESC_A="client: non-blocking connect(); iptables in a's INPUT drops b's SYN-ACKs (the capture has them), so it sends its SYN again after 1 s, still SYN-SENT"
		DESC_B="server: listen, never accept(); its SYN-ACK retransmissions (and answers to the SYN again) are dropped in b's OUTPUT (not in the capture)"
		DESC_EXPECT="a SYN-SENT, b SYN-RECEIVED (a request socket)"
		EXPECT="$la SYN-SENT"$'\n'"$listen"$'\n'"$lb SYN-RECEIVED"
		;;
	listen-overflow)
		DESC_A="$CONNS clients 100 ms apart: non-blocking connect() to $BE; the first two complete, the SYNs of the others are dropped and sent again; then from $A4:$CPORT2 connect to $B4:$SPORT2, $hello, close()"
		DESC_B="server: listen(fd, 1) on $BE, never accept() (accept queue full with 2); listen on $B4:$SPORT2, accept, $shello, read EOF, close(); sysctls at a new namespace's defaults (tcp_syncookies 1)"
		DESC_EXPECT="ports $CPORT and $((CPORT + 1)) ESTABLISHED at both ends (b: in the full accept queue); the others a SYN-SENT, b CLOSED (SYNs dropped); the connection to port $SPORT2: a TIME-WAIT, b CLOSED"
		EXPECT=$(
			echo "$listen"
			echo "b $B4:$SPORT2 *:* LISTEN"
			queued_clients 2
			echo "b $BE $A4:$CPORT ESTABLISHED"
			echo "b $BE $A4:$((CPORT + 1)) ESTABLISHED"
			echo "a $A4:$CPORT2 $B4:$SPORT2 TIME-WAIT"
		)
		;;
	keepalive-timeout)
		DESC_A="client: connect, $hello; then (b's answers lost) SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 3: three keep-alives unanswered on the wire, the kernel gives up: RST (SEQ = SND.NXT), ETIMEDOUT"
		DESC_B="server: listen, accept, $shello, idle; then iptables in b's OUTPUT drops everything b sends on the connection (a broken return path: b gets the keep-alives, its ACKs of them never reach the wire), and b gets a's RST, SEQ = RCV.NXT: reset"
		DESC_EXPECT="a CLOSED (gave up, RST sent), b CLOSED (reset by that RST; only the listener is left)"
		EXPECT="$listen"
		;;
	time-wait-pileup)
		DESC_A="$CONNS clients one after the other: connect, send \"get\", read \"ok\", shutdown(SHUT_WR), read EOF, close()"
		DESC_B="server: listen, accept each, read \"get\", send \"ok\", read EOF, close()"
		DESC_EXPECT="every a TIME-WAIT (60 s), every b CLOSED"
		EXPECT=$(
			echo "$listen"
			clients_in TIME-WAIT
		)
		;;
	server-crash)
		DESC_A="client: connect, $hello, send \"request\", read gets ECONNRESET, close()"
		DESC_B="server: listen, accept, $shello, then killed (SIGKILL) with \"request\" unread: its kernel closes that connection with a RST, and the listener"
		DESC_EXPECT="a CLOSED, b CLOSED (no socket left, not even the listener)"
		EXPECT=""
		;;
	loss-heavy)
		DESC_A="client: connect, send 64 KiB, read 1 MiB, close(); iptables in a's INPUT drops 10% of b's segments longer than 100 bytes (data)"
		DESC_B="server: listen, accept, read 64 KiB, send 1 MiB, read EOF, close(); iptables in b's INPUT drops 10% of a's data segments"
		DESC_EXPECT="a TIME-WAIT, b CLOSED (as close-client-first, after retransmissions)"
		EXPECT="$la TIME-WAIT"$'\n'"$listen"
		;;
	idle)
		DESC_A="client: connect, $hello, then idle (no data, no keep-alive), socket left open"
		DESC_B="server: listen, accept, $shello, then idle, socket left open"
		DESC_EXPECT="a ESTABLISHED, b ESTABLISHED"
		EXPECT="$la ESTABLISHED"$'\n'"$listen"$'\n'"$lb ESTABLISHED"
		;;
	client-never-reads)
		DESC_A="client: connect (SO_RCVBUF 16 KiB), never read"
		DESC_B="server: listen (SO_SNDBUF 32 KiB), accept, write until the send buffer is full and the window zero, wait 1.5 s (zero-window probes), close(): FIN queued behind unsent data"
		DESC_EXPECT="a ESTABLISHED, b FIN-WAIT-1 (FIN not sent)"
		EXPECT="$la ESTABLISHED"$'\n'"$listen"$'\n'"$lb FIN-WAIT-1"
		;;
	esac
	EXPECT=$(printf '%s\n' "$EXPECT" | LC_ALL=C sort | sed '/^$/d')
	load_drill
}

# load_drill: the live drill of scenario NAME (DRILL_TOOL set), or DRILL="" when
# it has none. Sets:
#   DRILL         the incident the drill makes, in words
#   DRILL_ARGS    tcpflow-fsm's flags beside -i, --json and the filter: a
#                 threshold lowered to keep the drill short is named here
#   DRILL_EXPECT  the findings that must fire, space separated, and the
#                 only ones that may; "" for traffic on which none may
#   DRILL_WITHIN  seconds after the incident's start by which each must
#                 have come out, before the tool is interrupted: what the
#                 incident needs by definition (a threshold, a kernel
#                 timer) plus 3 s; with DRILL_EXPECT "", how long the tool
#                 watches before it is interrupted
#   DRILL_START   when the incident starts: ready (the client driver's
#                 READY, the time its stdout was written), launch (just
#                 before the client driver starts), step (just before
#                 on_step does the network's or the killer's part of the
#                 last STEP)
# The tool is interrupted DRILL_WITHIN seconds after the start at the
# earliest, so that a wrong finding has time to come out too, and once
# every finding expected is out or DRILL_GRACE (3) more seconds have
# passed: one that comes late is measured all the same (TestDrills fails
# it).
load_drill() {
	DRILL="" DRILL_ARGS="" DRILL_EXPECT="" DRILL_WITHIN=5 DRILL_START=ready
	case $NAME in
	close-wait-leak)
		# Each server end is quiet in CLOSE-WAIT from its client's FIN on,
		# the last at READY; each client end in FIN-WAIT-2. --stuck 2s
		# (default 10s): 2 s + 3 s.
		DRILL="CLOSE-WAIT leak" DRILL_ARGS="--stuck 2s" DRILL_EXPECT="close_wait fin_wait_2"
		;;
	time-wait-pileup)
		# The 1,000th TIME-WAIT (--pileup's default) at READY: 0 s + 3 s.
		DRILL="TIME-WAIT pile-up" DRILL_EXPECT="time_wait" DRILL_WITHIN=3
		;;
	client-never-reads)
		# The client's READY comes as it connects; the server fills its
		# window within milliseconds. --stall's default 1 s + 3 s.
		DRILL="receiver stops reading" DRILL_EXPECT="zero_window" DRILL_WITHIN=4
		;;
	listen-overflow)
		# READY after the 6 connects and the other listener's connection;
		# a dropped SYN is resent 1 s after it was first sent (before
		# READY), and named once unanswered for --stuck (2 s; default
		# 10s) since then: 2 s + 3 s.
		DRILL="full accept queue" DRILL_ARGS="--stuck 2s" DRILL_EXPECT="listen_overflow"
		;;
	synack-lost-at-client)
		# READY as the connect() is issued; the SYN-ACK is lost at once,
		# the client resends its SYN 1 s later; the handshake is named
		# half-open once not completed for --stuck (2 s; default 10s):
		# 2 s + 3 s.
		DRILL="SYN,ACK lost on the way back" DRILL_ARGS="--stuck 2s" DRILL_EXPECT="half_open"
		;;
	refused)
		# The SYN and its RST come within a millisecond of the connect().
		DRILL="refused port" DRILL_EXPECT="refused" DRILL_WITHIN=3 DRILL_START=launch
		;;
	server-crash)
		# The kernel sends the RST as the killed process exits.
		DRILL="process crash" DRILL_EXPECT="aborted" DRILL_WITHIN=3 DRILL_START=step
		;;
	peer-vanishes)
		# b vanishes at the STEP; the client's data goes out, its first
		# retransmission ~0.2 s later (the tail loss probe), its third
		# after two backed-off timeouts (~0.2 + 0.4 s); the peer is named
		# dead once silent for --stuck (2 s; default 10s) since the first:
		# 0.2 s + 2 s + 3 s.
		DRILL="host crash" DRILL_ARGS="--stuck 2s" DRILL_EXPECT="dead_peer" DRILL_WITHIN=6 DRILL_START=step
		;;
	keepalive-timeout)
		# b's answers are lost from the STEP; TCP_KEEPIDLE 1 s, then 3
		# probes 1 s apart, the RST 1 s after the third: 4 s + 3 s.
		DRILL="keep-alive against a dead host" DRILL_EXPECT="keepalive_timeout" DRILL_WITHIN=7 DRILL_START=step
		;;
	loss-heavy)
		# No finding: loss that recovers is healthy. Watched 5 s after the
		# transfer, with --stuck 2s as in close-wait-leak.
		DRILL="10 % loss" DRILL_ARGS="--stuck 2s"
		;;
	idle)
		# No finding: an established connection may stay quiet. Watched
		# 5 s, with --stuck 2s.
		DRILL="idle connection" DRILL_ARGS="--stuck 2s"
		;;
	close-client-first)
		# No finding: a normal close (one TIME-WAIT). Watched 5 s, with
		# --stuck 2s.
		DRILL="healthy connection" DRILL_ARGS="--stuck 2s"
		;;
	esac
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

# capture_filter: the filter of the capture (and of the drill's tool).
capture_filter() {
	local filter="tcp port $SPORT"
	[[ -z $SPORT2 ]] || filter="$filter or tcp port $SPORT2"
	echo "$filter"
}

# start_capture IFACE FILE: tcpdump in namespace CAPNS, wait until it listens.
start_capture() {
	local iface=$1 file=$2 snap=()
	[[ -z $SNAPLEN ]] || snap=(-s "$SNAPLEN")
	ip netns exec "$CAPNS" tcpdump -i "$iface" -w "$file" -U --immediate-mode -Z root -nn "${snap[@]}" "$(capture_filter)" 2>"$file.log" &
	PIDS+=($!)
	CAPTURES+=($!)
	CAPLOGS+=("$file.log")
	wait_for "$file.log" 'listening on' 10 || fail "tcpdump on $iface did not start: $(cat "$file.log")"
}

# await_capture: wait until the capture holds AWAITN packets that match the
# tcpdump filter AWAIT (tcpdump -U writes each packet to the file as it
# comes), or AWAITMAX seconds have passed; then the capture check says what
# is missing. tcpdump reads the file while it grows: a packet half written
# is not counted (and tcpdump says the file is truncated).
await_capture() {
	local n=0 us t0=${EPOCHREALTIME/[.,]/} end=$((SECONDS + AWAITMAX))
	while ((SECONDS <= end)); do
		n=$({ tcpdump -r "$OUT/$NAME.pcap" -nn "$AWAIT" 2>/dev/null || true; } | wc -l)
		if [[ $n -ge $AWAITN ]]; then
			us=$((${EPOCHREALTIME/[.,]/} - t0))
			printf '  %d awaited packets in the capture %d.%02d s after READY\n' "$n" $((us / 1000000)) $((us / 10000 % 100))
			return 0
		fi
		sleep 0.02
	done
	echo "  only $n of the $AWAITN awaited packets in the capture after $AWAITMAX s" >&2
}

stop_captures() {
	local i
	for i in "${!CAPTURES[@]}"; do
		kill -INT "${CAPTURES[i]}" 2>/dev/null || fail "tcpdump exited before the end: $(cat "${CAPLOGS[i]}")"
		wait "${CAPTURES[i]}" || true
	done
}

# ---------------------------------------------------------------------------
# Drills (DRILL_TOOL set): the tool live beside tcpdump. Times are microseconds
# since the epoch.

usec() { echo "${EPOCHREALTIME/[.,]/}"; }

# seconds US: US microseconds since the epoch as seconds, "1733590000.123456".
seconds() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

# start_tool: tcpflow-fsm live in namespace CAPNS on CAPIF with the
# capture's filter, --json and DRILL_ARGS, its records stamped with their
# time as they come out (stamp/); wait until it listens.
start_tool() {
	local fifo=$ATT/tool.fifo
	mkfifo "$fifo"
	"$STAMP" <"$fifo" >"$OUT/$NAME.live.jsonl" &
	STAMP_PID=$!
	PIDS+=($!)
	# DRILL_ARGS are words. ip netns exec execs the tool: $! is its pid.
	# shellcheck disable=SC2086
	ip netns exec "$CAPNS" "$TOOL" -i "$CAPIF" --json $DRILL_ARGS "$(capture_filter)" >"$fifo" 2>"$OUT/$NAME.live.err" &
	TOOL_PID=$!
	PIDS+=($!)
	wait_for "$OUT/$NAME.live.err" 'listening on' 10 || fail "tcpflow-fsm did not start: $(cat "$OUT/$NAME.live.err")"
}

# drill_mark HOW: the incident starts now (DRILL_START is HOW); for ready,
# when the client driver wrote its READY (its stdout's mtime: gen.sh
# notices the line up to a poll later).
drill_mark() {
	[[ -n $TOOL && $DRILL_START == "$1" ]] || return 0
	if [[ $1 == ready ]]; then
		DRILL_T0=$(stat -c %.6Y "$ATT/client.out")
		DRILL_T0=${DRILL_T0/./}
	else
		DRILL_T0=$(usec)
	fi
}

# streamed CODE: when the first finding record of CODE streamed as it fired
# (one with "ts"; the final list at exit has none) came out, or nothing.
streamed() {
	{ grep -m1 -E '^\{"arrived":[0-9]+\.[0-9]{6},"type":"finding","ts":"[^"]*","code":"'"$1"'"' "$OUT/$NAME.live.jsonl" || true; } |
		sed -E 's/^\{"arrived":([0-9]+)\.([0-9]{6}),.*/\1\2/'
}

# drill_await: wait until DRILL_WITHIN seconds after the start, and then
# until every finding of DRILL_EXPECT has come out or DRILL_GRACE more
# seconds have passed. It only waits and says what it saw: TestDrills
# judges.
drill_await() {
	local min=$((DRILL_T0 + DRILL_WITHIN * 1000000)) max=$((DRILL_T0 + (DRILL_WITHIN + DRILL_GRACE) * 1000000))
	local c a all now
	[[ -n $DRILL_T0 ]] || fail "the drill's start was not marked ($DRILL_START)"
	while :; do
		now=$(usec) all=1
		for c in $DRILL_EXPECT; do
			[[ -n $(streamed "$c") ]] || all=0
		done
		((now < max && (!all || now < min))) || break
		sleep 0.1
	done
	for c in $DRILL_EXPECT; do
		a=$(streamed "$c")
		if [[ -n $a ]]; then
			awk -v c="$c" -v d=$((a - DRILL_T0)) 'BEGIN { printf "  drill: %s came out %.3f s after the start\n", c, d / 1e6 }'
		else
			echo "  drill: no $c came out in the $((DRILL_WITHIN + DRILL_GRACE)) s after the start"
		fi
	done
	grep -q '"type":"finding","ts"' "$OUT/$NAME.live.jsonl" || echo "  drill: no finding came out before the interrupt"
}

# alive PID: PID runs (and is no zombie).
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z ]]
}

# stop_tool: interrupt the tool (Ctrl-C), wait at most 10 s for it to
# write its summary and exit, and write the .drill file.
stop_tool() {
	local st=0 i int
	int=$(usec)
	kill -INT "$TOOL_PID" 2>/dev/null || fail "tcpflow-fsm exited before it was interrupted: $(cat "$OUT/$NAME.live.err")"
	for ((i = 0; i < 100; i++)); do
		alive "$TOOL_PID" || break
		sleep 0.1
	done
	if alive "$TOOL_PID"; then
		kill -KILL "$TOOL_PID"
		echo "  tcpflow-fsm did not exit within 10 s of SIGINT: killed" >&2
	fi
	wait "$TOOL_PID" || st=$?
	wait "$STAMP_PID" || fail "stamp failed"
	{
		echo "# drill: $DRILL ($NAME), made by gen.sh; judged by TestDrills (cmd/tcpflow-fsm/drill_test.go)"
		echo "# times: Unix seconds; start: the incident's start ($DRILL_START, see load_drill)"
		echo "scenario=$NAME"
		echo "drill=$DRILL"
		echo "command=tcpflow-fsm -i $CAPIF --json${DRILL_ARGS:+ $DRILL_ARGS} $(capture_filter)"
		echo "args=$DRILL_ARGS"
		echo "expect=$DRILL_EXPECT"
		echo "within=$DRILL_WITHIN"
		echo "start_at=$DRILL_START"
		echo "start=$(seconds "$DRILL_T0")"
		echo "interrupt=$(seconds "$int")"
		echo "exit_status=$st"
	} >"$OUT/$NAME.drill"
}

# drop_until N: the --datestop of an iptables time match that stops matching
# N - 1 to N seconds from now (it matches through the whole second it names,
# UTC). simultaneous-open and simultaneous-close keep each end's SYN or FIN
# off the wire with such rules, which end at the one same instant in both
# namespaces: each end's retransmission timer, armed microseconds after the
# other's and backing off alike after each dropped try, lets both ends' next
# try through in the same timer run, and the two cross. (Flushing the rules
# instead, one namespace after the other, let one end's FIN out and not the
# other's when a busy host was slow to run the second iptables.)
drop_until() {
	date -u -d "@$(($(date +%s) + $1 - 1))" +%Y-%m-%dT%H:%M:%S
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

# setup_scenario: what the network does in the stress scenarios, set up
# before the drivers start. iptables in a namespace's INPUT runs after the
# capture point of packets coming in on its veth and in OUTPUT before that of
# packets going out: a packet dropped in b's INPUT, or in a's (b's packets
# cross veth-b before they reach a), is in the capture; one dropped in b's
# OUTPUT is not.
setup_scenario() {
	case $NAME in
	loss | loss-heavy)
		# Random loss of data segments (IP length > 100: no pure ACK, SYN or
		# FIN here is longer), in each receiver's INPUT, so the capture has
		# the original and the retransmission. LOSS: 3%, 10% in loss-heavy.
		ip netns exec "$NSA" iptables -A INPUT -p tcp --sport "$SPORT" --dport "$CPORT" -m length --length 101:65535 \
			-m statistic --mode random --probability "$LOSS" -j DROP
		ip netns exec "$NSB" iptables -A INPUT -p tcp --sport "$CPORT" --dport "$SPORT" -m length --length 101:65535 \
			-m statistic --mode random --probability "$LOSS" -j DROP
		;;
	syn-dropped)
		ip netns exec "$NSB" iptables -A INPUT -p tcp --dport "$SPORT" --syn -j DROP
		;;
	peer-vanishes)
		# Give up after ~3 s of retransmissions (per namespace; default 15).
		ip netns exec "$NSA" sysctl -qw net.ipv4.tcp_retries2=3 >/dev/null
		;;
	rst-race-after-close | data-crossing-rst | rst-crossing | fin-crossing-rst)
		# Each write of a is a segment of its own, however long the one
		# before it waits in the queue (autocorking would make the next
		# writes one segment, sent when the one before has left), and no
		# tail loss probe sends one again ~2 ms after the last (the RST
		# comes microseconds after the writes, but a busy host may be slower).
		ip netns exec "$NSA" sysctl -qw net.ipv4.tcp_autocorking=0 net.ipv4.tcp_early_retrans=0 >/dev/null
		;;
	synack-lost-at-client)
		# b's SYN-ACK is lost after the capture point: a never gets it.
		ip netns exec "$NSA" iptables -A INPUT -p tcp --sport "$SPORT" --tcp-flags SYN,ACK SYN,ACK -j DROP
		# Only b's first SYN-ACK reaches the wire: its retransmissions (1 s)
		# and its answer to a's SYN sent again would come around the time
		# of that SYN, in either order, and the capture would end with a
		# SYN-ACK whose loss no observer can see.
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --tcp-flags SYN,ACK SYN,ACK \
			-m limit --limit 1/hour --limit-burst 1 -j ACCEPT
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --tcp-flags SYN,ACK SYN,ACK -j DROP
		;;
	listen-overflow)
		# A new namespace's default, written out: SYN cookies only once the
		# request queue is full, which it never is here (each handshake is
		# over before the next SYN), so a SYN the full accept queue cannot
		# take is dropped either way (see README.md).
		ip netns exec "$NSB" sysctl -qw net.ipv4.tcp_syncookies=1 >/dev/null
		;;
	syn-flood)
		# No SYN cookies (a new namespace has 1: cookies once the request
		# queue is full): a SYN the listener cannot queue is dropped.
		ip netns exec "$NSB" sysctl -qw net.ipv4.tcp_syncookies=0 net.ipv4.tcp_max_syn_backlog=8 >/dev/null
		;;
	esac
}

# on_step STEP: what the network does when a driver reaches STEP (MODE cs
# with STEPS); the driver goes on once this returns.
on_step() {
	case $NAME:$1 in
	peer-vanishes:vanish)
		# b vanishes: nothing of the connection gets in or out of b any more.
		ip netns exec "$NSB" iptables -A INPUT -p tcp --dport "$SPORT" -j DROP
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" -j DROP
		;;
	keepalive-timeout:vanish)
		# b's return path breaks: nothing b sends on the connection reaches
		# the wire (OUTPUT is before the capture point), which on the wire
		# looks as if b had vanished. What a sends still reaches b (no INPUT
		# rule), so b gets the RST of a's kernel giving up: the kernel oracle
		# must see that RST arrive, as the capture says it does.
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" -j DROP
		;;
	server-lost:abort)
		# The server's RST never reaches the wire (nor the capture).
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --tcp-flags RST RST -j DROP
		;;
	server-lost:send)
		wait_for "$ATT/server.out" '^READY' 10 || fail "server did not abort"
		ip netns exec "$NSB" iptables -F OUTPUT
		;;
	server-crash:crash)
		# The server process is killed, as the OOM killer or a fault ends
		# one: its kernel closes its sockets, the connection with unread
		# data by a RST. No SIGUSR1: it is gone. (driver sets DPID_server
		# with printf -v.)
		# shellcheck disable=SC2154
		kill -KILL "$DPID_server"
		wait "$DPID_server" || true
		CRASHED=$DPID_server
		;;
	*) fail "no step $1 in $NAME" ;;
	esac
}

# race_queue: the queue on a's path to b of the race scenarios. On the veth
# a segment is received in the softirq that sends it, so none is ever in
# flight; a token bucket (tbf) on veth-a holds each segment of a that finds
# it empty until enough tokens have come: at 24 kbit/s (3 octets a
# millisecond) and a bucket of 100 octets, a's first segment (73 octets on
# the wire: "data 1\n" with timestamps) passes at once, each later one
# waits ~25 ms more, so the segments queued behind it are in flight while
# b's segments reach a at once. Frames over 100 octets would be dropped:
# after the hello/world exchange a sends none. It is put on after the
# exchange (the driver's STEP delay) and goes with the namespace.
race_queue() {
	ip netns exec "$NSA" tc qdisc add dev veth-a root tbf rate 24kbit burst 100 limit 10000
}

# driver NAME NETNS ARGS...: start a driver (NETNS "" = this namespace, pinned to CPU 0).
driver() {
	local name=$1 ns=$2
	shift 2
	if [[ -n $ns ]]; then
		$PIN ip netns exec "$ns" "$DRIVER" -scenario "$NAME" "$@" >"$ATT/$name.out" 2>"$ATT/$name.err" &
	else
		taskset -c 0 "$DRIVER" -scenario "$NAME" "$@" >"$ATT/$name.out" 2>"$ATT/$name.err" &
	fi
	PIDS+=($!)
	DRIVERS+=($!)
	printf -v "DPID_$name" '%s' "$!"
}

# ss_lines LABEL RAWFILE: the .ss lines of one namespace's `ss -tanoi` output.
ss_lines() {
	awk -v lab="$1" -v ports=" $SPORT $CPORT $SPORT2 $CPORT2 " '
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
		if [[ $CONNS -gt 1 ]]; then
			echo "# a: $A4:$CPORT-$((CPORT + CONNS - 1)) ($DESC_A)"
		else
			echo "# a: ${AE} ($DESC_A)"
		fi
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

# Two connections, hence two SYNs from the client, on the one 4-tuple: two
# ISNs. (A SYN the kernel sends again, when a busy host keeps its SYN-ACK
# from it for its 1 s timer, has the ISN of the first: still one connection.)
check_two_syns() {
	local n
	n=$(fields "$1" | awk -F, '$3 == 1 && $4 == 0 { isn[$7] = 1 } END { for (i in isn) n++; print n + 0 }')
	[[ $n -eq 2 ]] || { echo "  expected SYNs with 2 ISNs, found $n" >&2; return 1; }
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

# shape FILE: the packets of FILE in the README's notation, one word each:
# the sender (a or b), S F R for SYN FIN RST, "." for ACK, "(n)" for n
# octets of payload: "aS bS. a. a.(6) ...". (No PSH: whether it is set
# depends on how writes meet segments.)
shape() {
	fields "$1" | awk -F, -v a="$A4" -v a6="$A6" '
	{
		w = ($1 == a || $2 == a6) ? "a" : "b"
		if ($3 == 1) w = w "S"
		if ($5 == 1) w = w "F"
		if ($6 == 1) w = w "R"
		if ($4 == 1) w = w "."
		if ($9 > 0) w = w "(" $9 ")"
		out = out (NR > 1 ? " " : "") w
	}
	END { print out }'
}

# The packets are exactly SHAPE, and each RST of b without ACK (the
# kernel's answer to a segment for a connection it no longer has) has the
# SEQ of the ACK of a's segment just before it (RFC 9293 §3.10.7.1).
check_shape() {
	local got
	got=$(shape "$1")
	echo "  shape: $got"
	[[ $got == "$SHAPE" ]] || { echo "  expected: $SHAPE" >&2; return 1; }
	fields "$1" | awk -F, -v b="$B4" '
	$1 == b && $6 == 1 && $4 == 0 && $7 != lastack { bad = 1 }
	$1 != b { lastack = $8 }
	END { exit bad }' || { echo "  a RST of b does not have the SEQ of the ACK it answers" >&2; return 1; }
}

# a's SYN, b's SYN-ACK of it, and a's SYN again (at least once; the capture
# stops once it is in, ~1 s before the next is due), with the one ISN, each
# at least 0.8 s after the packet before it.
check_synack_lost() {
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e ip.src -e tcp.flags.syn -e tcp.flags.ack \
		-e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.ack_raw -e tcp.len 2>/dev/null |
		awk -F, -v a="$A4" -v b="$B4" '
	$5 != 0 || $6 != 0 || $9 != 0 || $3 != 1 { bad = "a packet other than a SYN or SYN-ACK" }
	NR == 1 { isn = $7; if ($2 != a || $4 != 0) bad = "the first packet is not a bare SYN of a" }
	NR == 2 && !($2 == b && $4 == 1 && $8 == (isn + 1) % 4294967296) { bad = "the second packet is not the SYN-ACK of that SYN" }
	NR > 2 && !($2 == a && $4 == 0 && $7 == isn) { bad = "after the SYN-ACK, a packet other than a SYN of a with its ISN" }
	NR > 2 && $1 - last < 0.8 { bad = "a SYN less than 0.8 s after the packet before it" }
	{ last = $1 }
	END {
		if (bad == "" && NR < 3) bad = "no SYN after the SYN-ACK"
		printf "  tshark: %d packets\n", NR
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# listen-overflow. The full listener's port: the first two clients one
# plain handshake each (S, S-ACK, ACK: they fill the accept queue), nothing
# more; each other client only bare SYNs, at least two (a SYN and one
# retransmission at least: the capture stops once there are three), with
# one ISN, each at least 0.8 s after the one before (the 1 s timer fires
# late, never early), the first after the second handshake is over, none
# answered. The second listener's port: one connection as in
# close-client-first, its handshake after the first dropped SYN (the host
# serves while the other listener overflows).
check_listen_overflow() {
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e ip.src -e tcp.srcport -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.len 2>/dev/null |
		awk -F, -v a="$A4" -v p0="$CPORT" -v n="$CONNS" -v full="$SPORT" -v other="$SPORT2" \
			-v want="aS bS. a. a.(6) b. b.(6) a. aF. b. bF. a." '
	{
		froma = $2 == a; port = froma ? $3 : $4; srv = froma ? $4 : $3
		w = froma ? "a" : "b"
		if ($5 == 1) w = w "S"
		if ($7 == 1) w = w "F"
		if ($8 == 1) w = w "R"
		if ($6 == 1) w = w "."
		if ($10 > 0) w = w "(" $10 ")"
	}
	srv == other {
		shape2 = shape2 (n2++ ? " " : "") w
		if (w == "bS." && !synack2) synack2 = NR
		next
	}
	port - p0 < 2 {
		words[port] = words[port] (nw[port]++ ? " " : "") w
		if (w == "a.") queued = NR
		next
	}
	w != "aS" { bad = "port " port ": a packet other than a bare SYN of a"; next }
	{
		if (!firstdrop) firstdrop = NR
		if ((port in isn) && isn[port] != $9) bad = "port " port ": SYNs with two ISNs"
		if ((port in last) && $1 - last[port] < 0.8) bad = "port " port ": a SYN less than 0.8 s after the one before"
		isn[port] = $9; last[port] = $1; syns[port]++
	}
	END {
		for (i = 0; i < n; i++) {
			p = p0 + i
			if (i < 2) { if (words[p] != "aS bS. a.") bad = "port " p ": not one plain handshake: " words[p] }
			else if (syns[p] < 2) bad = "port " p ": " syns[p] + 0 " SYNs, expected 2 or more"
			else s += syns[p]
		}
		if (firstdrop && firstdrop < queued) bad = "a SYN dropped before the accept queue was full"
		if (shape2 != want) bad = "port " other ": " shape2 ", expected " want
		else if (synack2 < firstdrop) bad = "port " other ": its handshake before the first dropped SYN"
		printf "  tshark: %d unanswered SYNs from %d clients; the other listener: %s\n", s, n - 2, shape2
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# keepalive-timeout: the shape (handshake, exchange, three keep-alives of
# a, a's RST), nothing of b's on the wire after the exchange (its ACKs of
# the keep-alives are dropped in its OUTPUT); each keep-alive at least
# 0.8 s after the packet before it (1 s timers fire late, never early), at
# SND.NXT - 1, and the RST as long after the third, at SND.NXT. The RST
# must be one b accepts (RFC 9293 §3.10.7.4, RFC 5961 §3.2): its SEQ is
# exactly b's RCV.NXT, the ACK b last sent, so b, which gets it, is reset
# and ends CLOSED (the EXPECTed .ss); a RST in the window but not at
# RCV.NXT would only get a challenge ACK, which b's OUTPUT drops. Its ACK
# is b's SND.NXT (b's last SEQ + length): a got all b sent.
check_keepalive_timeout() {
	check_shape "$1" || return 1
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e tcp.flags.reset -e tcp.seq_raw \
		-e tcp.analysis.keep_alive -e ip.src -e tcp.ack_raw -e tcp.len 2>/dev/null | awk -F, -v b="$B4" '
	$5 == b { rcvnxt = $6; sndnxt = ($3 + $7) % 4294967296 }
	NR > 7 && $1 - last < 0.8 { bad = "packet " NR ": less than 0.8 s after the one before" }
	NR > 7 && $4 != "" { if (NR > 8 && $3 != probe) bad = "keep-alives at two sequence numbers"; probe = $3; k++ }
	$2 == 1 && $3 != (probe + 1) % 4294967296 { bad = "the RST is not at the keep-alives sequence number + 1" }
	$2 == 1 && ($3 != rcvnxt || $6 != sndnxt) { bad = "the RST is not at b'"'"'s RCV.NXT, or its ACK is not b'"'"'s SND.NXT" }
	{ last = $1 }
	END {
		if (k != 3) bad = k + 0 " packets tshark calls keep-alives, expected 3"
		printf "  tshark: %d keep-alives, then the RST at b'"'"'s RCV.NXT\n", k
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# time-wait-pileup: CONNS connections, one per client port, each exactly
# SHAPE (handshake, request, response, the client's FIN first, the
# server's FIN, the last ACK). A segment sent twice (same sender, flags,
# sequence number and length: a FIN resent when a busy host kept its ACK
# ~200 ms) counts once.
check_time_wait_pileup() {
	fields_ports "$1" | awk -F, -v a="$A4" -v n="$CONNS" -v want="$SHAPE" '
	{
		froma = $1 == a; port = froma ? $2 : $3
		w = froma ? "a" : "b"
		if ($4 == 1) w = w "S"
		if ($6 == 1) w = w "F"
		if ($7 == 1) w = w "R"
		if ($5 == 1) w = w "."
		if ($9 > 0) w = w "(" $9 ")"
		if ((port "," w "," $8) in seen) { dups++; next }
		seen[port "," w "," $8] = 1
		shape[port] = shape[port] (nw[port]++ ? " " : "") w
	}
	END {
		for (p in shape) {
			conns++
			if (shape[p] != want) { odd++; if (odd == 1) print "  port " p ": " shape[p] > "/dev/stderr" }
		}
		printf "  tshark: %d connections, %d of another shape, %d segments sent twice\n", conns, odd, dups
		exit conns != n || odd > 0
	}' || { echo "  expected $CONNS connections, each: $SHAPE" >&2; return 1; }
}

# fields_ports FILE: as fields, with the ports: 1 ip.src, 2 tcp.srcport,
# 3 tcp.dstport, 4 SYN, 5 ACK, 6 FIN, 7 RST, 8 seq, 9 payload length.
fields_ports() {
	tshark -r "$1" -T fields -E separator=, -e ip.src -e tcp.srcport -e tcp.dstport -e tcp.flags.syn \
		-e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.len 2>/dev/null
}

# count FILE FILTER: the number of packets of FILE that match the tshark
# display filter FILTER.
count() {
	tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}

# Retransmissions, duplicate ACKs with SACK blocks, both FINs; and each end's
# packets in the order it sent them: the IPv4 identification, which Linux
# counts per socket, always grows (but 0, which the TIME-WAIT socket's ACK
# carries). The FINs are never dropped, but a FIN may still go out twice (a
# tail loss probe ~200 ms later, when a busy host is slow to bring its ACK
# in): one FIN of each end, at one sequence number, however often it is
# sent.
check_loss() {
	local r d s f fe
	tshark -r "$1" -T fields -E separator=, -e ip.src -e ip.id 2>/dev/null | awk -F, '
	function hex(s, i, n) {
		n = 0
		for (i = 3; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
		return n
	}
	{ id = hex($2) }
	id != 0 && ($1 in prev) && (id - prev[$1] + 65536) % 65536 >= 32768 { bad++ }
	id != 0 { prev[$1] = id }
	END { exit bad > 0 }' || { echo "  packets of one end were reordered before the capture" >&2; return 1; }
	r=$(count "$1" 'tcp.analysis.retransmission || tcp.analysis.fast_retransmission')
	d=$(count "$1" 'tcp.analysis.duplicate_ack')
	s=$(count "$1" 'tcp.options.sack_le')
	f=$(count "$1" 'tcp.flags.fin == 1')
	fe=$(fields "$1" | awk -F, '
	$5 == 1 { src = $1 $2; if ((src in seq) && seq[src] != $7) two = 1; seq[src] = $7 }
	END { for (s in seq) n++; print two ? 0 : n + 0 }')
	echo "  tshark: $r retransmissions, $d duplicate ACKs, $s segments with SACK blocks, $f FINs (of $fe ends)"
	[[ $r -gt 0 && $d -gt 0 && $s -gt 0 && $fe -eq 2 ]] || { echo "  not the expected loss pattern" >&2; return 1; }
}

# b's window closes, the client probes it, and no FIN is on the wire.
check_zero_window() {
	local z p f
	z=$(count "$1" "tcp.analysis.zero_window && ip.src == $B4")
	p=$(count "$1" "ip.src == $A4 && (tcp.analysis.zero_window_probe || tcp.analysis.keep_alive)")
	f=$(count "$1" 'tcp.flags.fin == 1')
	echo "  tshark: $z zero windows from b, $p probes from a, $f FINs"
	[[ $z -gt 0 && $p -ge 2 && $f -eq 0 ]] || { echo "  not the expected zero-window pattern" >&2; return 1; }
}

# The client's FIN, the only one, fills b's window, which b ACKs with a zero
# window: the last packet. (The FIN may go out again, at the same sequence
# number, if a busy host keeps b's ACK from the client for ~200 ms: b then
# ACKs it again, last all the same.)
check_zero_window_fin_fits() {
	tshark -r "$1" -T fields -E separator=, -e ip.src -e tcp.flags.fin -e tcp.seq_raw -e tcp.ack_raw \
		-e tcp.window_size_value 2>/dev/null | awk -F, -v a="$A4" -v b="$B4" '
	$1 == b { win = $5 }
	$2 == 1 && fins { if ($1 != a || ($3 + 1) % 4294967296 != end) bad = 1 }
	$2 == 1 && !fins { fins = 1; if ($1 != a || win != 1) bad = 1; end = ($3 + 1) % 4294967296 }
	{ lastsrc = $1; lastfin = $2; lastack = $4; lastwin = $5 }
	END { exit bad || !fins || lastsrc != b || lastfin != 0 || lastack != end || lastwin != 0 }' ||
		{ echo "  expected the client's FIN into a one-octet window, ACKed with a zero window, last" >&2; return 1; }
}

# After the exchange, only keep-alives of a (SND.NXT - 1, no data) and b's
# ACKs of them (ACK = SND.NXT), each ACK right after its keep-alive: at
# least three of each. Each keep-alive comes 1 s (TCP_KEEPIDLE,
# TCP_KEEPINTVL) after the last packet a received, so never less than 0.8 s
# after the packet before it: timers fire late, never early. The capture
# stops once the third keep-alive is ACKed, ~1 s before the fourth is due;
# on a busy host the stop can come late, after the fourth keep-alive and
# even before its ACK: the last keep-alive may be unanswered if it is the
# last packet.
check_keepalive() {
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e ip.src -e tcp.len -e tcp.seq_raw \
		-e tcp.ack_raw -e tcp.analysis.keep_alive 2>/dev/null | awk -F, -v a="$A4" -v b="$B4" '
	{
		if ($6 != "") {
			if ($2 != a) bad = "a keep-alive from b"
			else if (waiting) bad = "a keep-alive before the ACK of the one before"
			else if ($1 - last < 0.8) bad = "a keep-alive less than 0.8 s after the packet before it"
			k++; waiting = 1; want = ($4 + 1) % 4294967296
		} else if (waiting) {
			if ($2 == b && $3 == 0 && $5 == want) acks++
			else bad = "a keep-alive not ACKed by the next packet"
			waiting = 0
		} else if (k > 0) bad = "a segment other than a keep-alive or its ACK after the first keep-alive"
		last = $1
	}
	END {
		if (bad == "" && acks < 3) bad = "fewer than 3 keep-alives ACKed"
		printf "  tshark: %d keep-alives, %d ACKed%s\n", k, acks, waiting ? " (the capture ends with the last)" : ""
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# Only the client's SYN, sent at least three times (the capture stops once
# the third is in, ~1 s before the fourth is due; on a busy host the stop can
# come late, after the fourth), always with the one ISN (one connection
# attempt, its SYN retransmitted), each SYN at least 0.8 s after the one
# before: the SYN retransmission timer starts at 1 s and then stays there
# (tcp_syn_linear_timeouts) or doubles; timers fire late, never early.
check_syn_dropped() {
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e ip.src -e tcp.flags.syn -e tcp.flags.ack \
		-e tcp.flags.fin -e tcp.flags.reset -e tcp.seq_raw -e tcp.len 2>/dev/null | awk -F, -v a="$A4" '
	!($2 == a && $3 == 1 && $4 == 0 && $5 == 0 && $6 == 0 && $8 == 0) { bad = "a packet other than a bare SYN of a" }
	NR == 1 { isn = $7 }
	$7 != isn { bad = "SYNs with two ISNs" }
	NR > 1 && $1 - last < 0.8 { bad = "a SYN less than 0.8 s after the one before" }
	{ last = $1 }
	END {
		if (bad == "" && NR < 3) bad = "fewer than 3 SYNs"
		printf "  tshark: %d SYNs from a\n", NR
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# After the client's 14 bytes, nothing from b, and the data is sent again.
check_peer_vanishes() {
	local r
	fields "$1" | awk -F, -v b="$B4" '
	$9 == 14 { lost = 1 }
	lost && $1 == b { bad = 1 }
	END { exit bad || !lost }' || { echo "  b sent something after it vanished" >&2; return 1; }
	r=$(count "$1" 'tcp.analysis.retransmission')
	echo "  tshark: $r retransmissions"
	[[ $r -ge 3 ]] || { echo "  expected 3 or more retransmissions" >&2; return 1; }
}

# No RST until the client's 13 bytes, which b answers with a RST: the last packet.
check_server_lost() {
	fields "$1" | awk -F, -v a="$A4" -v b="$B4" '
	$6 == 1 && !sent { bad = 1 }
	$1 == a && $9 == 13 { sent = 1 }
	{ last = $1 "," $6 }
	END { exit bad || !sent || last != b ",1" }' ||
		{ echo "  expected the RST of b, after the client's data, as the only RST and the last packet" >&2; return 1; }
}

# syn-flood, per client port: the first and third one a plain handshake; the
# second its handshake and at least one more SYN-ACK of b, each ACKed before
# b sends the next (the delayed ACK of the handshake, then a challenge ACK
# of each retransmission); every other one only SYNs, at least 2 (the SYN
# and retransmissions). Nothing else. The capture stops once the SYNs
# retransmitted at 2 s are in, ~1 s before the next SYNs and SYN-ACK are
# due; on a busy host the stop can come late, among those, and between the
# SYN-ACK and its ACK: a SYN-ACK may lack its ACK only if the capture ends
# less than 0.5 s after it (a missing ACK the capture went on without
# fails).
check_syn_flood() {
	tshark -r "$1" -T fields -E separator=, -e frame.time_relative -e ip.src -e tcp.srcport -e tcp.dstport \
		-e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin -e tcp.flags.reset -e tcp.len 2>/dev/null |
		awk -F, -v a="$A4" -v p0="$CPORT" -v n="$CONNS" '
	{ port = $2 == a ? $3 : $4; last = $1 }
	$7 == 1 || $8 == 1 || $9 != 0 { bad = "a FIN, RST or data segment" }
	$2 == a && $5 == 1 && $6 == 0 { syn[port]++; next }
	$2 != a && $5 == 1 && $6 == 1 {
		synack[port]++
		if (port in unacked) bad = "port " port ": a SYN-ACK before the ACK of the one before"
		unacked[port] = $1
		next
	}
	$2 == a && $5 == 0 && $6 == 1 {
		ack[port]++
		if (!(port in unacked)) bad = "port " port ": an ACK with no SYN-ACK to answer"
		delete unacked[port]
		next
	}
	{ bad = "an unexpected segment" }
	END {
		for (p in unacked)
			if (last - unacked[p] >= 0.5) bad = "port " p ": a SYN-ACK never ACKed"
		for (i = 0; i < n; i++) {
			p = p0 + i
			if (i == 0 || i == 2) { if (syn[p] != 1 || synack[p] != 1 || ack[p] != 1) bad = "port " p ": not one plain handshake" }
			else if (i == 1) { if (syn[p] != 1 || synack[p] < 2) bad = "port " p ": no SYN-ACK retransmission" }
			else if (syn[p] < 2 || synack[p] + ack[p] > 0) bad = "port " p ": not SYNs only"
			s += syn[p]; sa += synack[p]; k += ack[p]
		}
		printf "  tshark: %d SYNs, %d SYN-ACKs, %d ACKs\n", s, sa, k
		if (bad != "") print "  " bad > "/dev/stderr"
		exit bad != ""
	}'
}

# One FIN from each client, none from the server. (A client's FIN may go out
# twice, at one sequence number, if a busy host keeps b's ACK from it for
# ~200 ms: still one FIN.)
check_close_wait_leak() {
	local fa fb
	read -r fa fb < <(tshark -r "$1" -T fields -E separator=, -e ip.src -e tcp.srcport -e tcp.flags.fin \
		-e tcp.seq_raw 2>/dev/null | awk -F, -v a="$A4" '
	$3 == 1 && $1 != a { fb++ }
	$3 == 1 && $1 == a { if (($2 in seq) && seq[$2] != $4) two = 1; seq[$2] = $4 }
	END { for (p in seq) fa++; print (two ? -1 : fa + 0), fb + 0 }')
	echo "  tshark: FINs from $fa clients, $fb FINs from b"
	[[ $fa -eq $CONNS && $fb -eq 0 ]] || { echo "  expected one FIN from each of the $CONNS clients and none from b" >&2; return 1; }
}

# a's window closes, the server probes it, and no FIN is on the wire.
check_client_never_reads() {
	local z p f
	z=$(count "$1" "tcp.analysis.zero_window && ip.src == $A4")
	p=$(count "$1" "ip.src == $B4 && (tcp.analysis.zero_window_probe || tcp.analysis.keep_alive)")
	f=$(count "$1" 'tcp.flags.fin == 1')
	echo "  tshark: $z zero windows from a, $p probes from b, $f FINs"
	[[ $z -gt 0 && $p -ge 2 && $f -eq 0 ]] || { echo "  not the expected zero-window pattern" >&2; return 1; }
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
	PIDS=() CAPTURES=() CAPLOGS=() DRIVERS=() CRASHED="" DRILL_T0=""
	rm -rf "$ATT" "$OUT"
	mkdir -p "$ATT" "$OUT"

	setup_netns
	setup_scenario
	[[ $MODE != self ]] || setup_self
	if [[ $ANY == 1 ]]; then
		# The same traffic twice: on the veth (Ethernet) and on "any" (LINUX_SLL2).
		start_capture veth-b "$OUT/$NAME.eth.pcap"
		start_capture any "$OUT/$NAME.pcap"
	else
		start_capture "$CAPIF" "$OUT/$NAME.pcap"
	fi
	[[ -z $TOOL ]] || start_tool

	case $MODE in
	cs)
		local second_a=() second_b=()
		if [[ -n $SPORT2 ]]; then
			second_a=(-local2 "$A4:$CPORT2" -peer2 "$B4:$SPORT2")
			second_b=(-local2 "$B4:$SPORT2" -peer2 "$A4:$CPORT2")
		fi
		driver server "$NSB" -role server -local "$BE" -peer "$AE" -conns "$CONNS" "${second_b[@]}"
		wait_for "$ATT/server.out" '^(LISTENING|READY)' 10 || fail "server did not start"
		drill_mark launch
		driver client "$NSA" -role client -local "$AE" -peer "$BE" -conns "$CONNS" "${second_a[@]}"
		local st who pid
		for st in $STEPS; do
			who=${st%%:*}
			wait_for "$ATT/$who.out" "^STEP ${st#*:}\$" 15 || fail "$who did not reach step ${st#*:}"
			drill_mark step
			on_step "${st#*:}"
			pid=DPID_$who
			[[ ${!pid} == "$CRASHED" ]] || kill -USR1 "${!pid}"
		done
		wait_for "$ATT/client.out" '^READY' 15 || fail "client did not finish"
		drill_mark ready
		[[ $DPID_server == "$CRASHED" ]] || wait_for "$ATT/server.out" '^READY' 15 || fail "server did not finish"
		;;
	pair-open)
		# Keep each end's first (bare) SYN off the wire, and its
		# retransmissions until the rules expire (see drop_until).
		local stop
		stop=$(drop_until 3)
		ip netns exec "$NSA" iptables -A OUTPUT -p tcp --sport "$CPORT" --dport "$SPORT" --tcp-flags SYN,ACK SYN \
			-m time --datestop "$stop" -j DROP
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --dport "$CPORT" --tcp-flags SYN,ACK SYN \
			-m time --datestop "$stop" -j DROP
		driver pair "" -role pair -netns-a "$NSA" -netns-b "$NSB" -a "$AE" -b "$BE"
		wait_for "$ATT/pair.out" '^SYN-SENT' 10 || fail "connects not issued"
		wait_for "$ATT/pair.out" '^READY' 15 || fail "no simultaneous open"
		;;
	pair-close)
		driver pair "" -role pair -netns-a "$NSA" -netns-b "$NSB" -a "$AE" -b "$BE"
		wait_for "$ATT/pair.out" '^STEP close' 10 || fail "no connection"
		# Keep both FINs off the wire until both ends have closed, and until
		# the rules expire (see drop_until).
		local stop
		stop=$(drop_until 3)
		ip netns exec "$NSA" iptables -A OUTPUT -p tcp --sport "$CPORT" --dport "$SPORT" --tcp-flags FIN FIN \
			-m time --datestop "$stop" -j DROP
		ip netns exec "$NSB" iptables -A OUTPUT -p tcp --sport "$SPORT" --dport "$CPORT" --tcp-flags FIN FIN \
			-m time --datestop "$stop" -j DROP
		kill -USR1 "${DRIVERS[0]}"
		wait_for "$ATT/pair.out" '^FIN-QUEUED' 10 || fail "shutdowns not issued"
		wait_for "$ATT/pair.out" '^READY' 15 || fail "no close"
		;;
	pair-race)
		driver pair "" -role pair -netns-a "$NSA" -netns-b "$NSB" -a "$AE" -b "$BE"
		wait_for "$ATT/pair.out" '^STEP delay' 10 || fail "no connection"
		race_queue
		kill -USR1 "${DRIVERS[0]}"
		wait_for "$ATT/pair.out" '^READY' 15 || fail "no race"
		;;
	self)
		driver client "$NSA" -role client -local "$AE" -peer "$AE"
		wait_for "$ATT/client.out" '^READY' 15 || fail "no self-connect"
		;;
	esac

	# The tool, as tcpdump, is stopped before the drivers exit: their exit
	# traffic does not reach it.
	if [[ -n $TOOL ]]; then
		drill_await
		stop_tool
	fi
	# Both before the drivers exit: their exit traffic is not captured.
	if [[ -n $AWAIT ]]; then
		# Stop the capture as soon as it holds the packets awaited, and take
		# the snapshot after: on a busy host the two `ss` can take a second,
		# time enough for one more keep-alive or SYN. The states of these
		# scenarios stay as they are while those packets keep coming.
		await_capture
		stop_captures
		snapshot
	else
		sleep "$SETTLE"
		snapshot
		stop_captures
	fi
	for p in "${DRIVERS[@]}"; do
		[[ $p != "$CRASHED" ]] || continue
		kill -TERM "$p" 2>/dev/null || fail "a driver exited before it was told to"
		wait "$p" || true
	done
	PIDS=()
	ip netns del "$NSA"
	ip netns del "$NSB"

	local log
	for log in "$OUT"/*.pcap.log; do
		grep -q '^0 packets dropped by kernel' "$log" || fail "tcpdump dropped packets: $(cat "$log")"
		rm -f "$log"
	done
	local eth=$OUT/$NAME.pcap
	[[ $ANY == 0 ]] || eth=$OUT/$NAME.eth.pcap
	[[ $(linktype "$eth") == EN10MB ]] || fail "$(basename "$eth") is not Ethernet"
	[[ $(stat -c %s "$OUT/$NAME.pcap") -lt 1048576 ]] || fail "$NAME.pcap is 1 MiB or more"
	if [[ $ANY == 1 ]]; then
		editcap -F pcapng "$OUT/$NAME.eth.pcap" "$OUT/$NAME.pcapng"
	fi
	echo "  capture:"
	tcpdump -nn -t -r "$OUT/$NAME.pcap" 2>/dev/null | awk '
		NR <= 40 { print "    " $0 }
		END { if (NR > 40) printf "    ... (%d packets)\n", NR }'
	echo "  $NAME.ss:"
	{ grep -v '^#' "$OUT/$NAME.ss" || true; } | awk '
		NR <= 40 { print "    " $0 }
		END { if (NR > 40) printf "    ... (%d lines)\n", NR }'
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
	ok=0 t0=${EPOCHREALTIME/[.,]/}
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
		for f in "$ATT"/*.err "$OUT"/*.log "$OUT"/*.live.err; do
			[[ -s $f ]] && { echo "  --- $(basename "$f")"; sed 's/^/    /' "$f"; } >&2
		done
	done
	if [[ $ok == 1 ]]; then
		cp "$OUT"/* "$DEST/"
		us=$((${EPOCHREALTIME/[.,]/} - t0))
		printf 'gen.sh: %s: ok (%s) in %d.%d s\n' "$NAME" "$(cd "$OUT" && echo *)" $((us / 1000000)) $((us / 100000 % 10))
	else
		FAILED+=("$NAME")
		echo "gen.sh: $NAME: FAILED after $ATTEMPTS attempts; its files were not updated" >&2
	fi
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
	die "failed: ${FAILED[*]}"
fi
echo "gen.sh: done"
