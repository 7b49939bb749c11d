#!/bin/sh
# gen.sh makes the captures of testdata/dup: identical segments that are
# real sendings, and copies that "tcpdump -i any" makes of them, in one run
# of real Linux TCP (see README.md). Run as root, from any directory:
#
#	sudo testdata/dup/gen.sh            # writes dup-a.pcap and dup-r-any.pcap here
#	sudo DEST=/tmp/x testdata/dup/gen.sh
#
# Three network namespaces: a (client) - r (router) - b (server), joined by
# veth pairs. a and b run without TCP timestamps and SACK, and without IPv6
# flow labels, so that nothing in a segment changes from one sending to the
# next. In r:
#   - port 9201 (IPv4): iptables TEE clones the client's SYN, so b gets it
#     twice and answers each with a SYN,ACK (identification 0, as Linux
#     sends SYN,ACKs): two identical SYN,ACKs microseconds apart;
#   - port 9202 (IPv6): the fifth data segment of the client is dropped, so
#     b sends identical duplicate ACKs and the client a fast retransmission.
# tcpdump captures on veth-a in a (Ethernet: each packet once) and on "any"
# in r (LINUX_SLL2: each packet r forwards twice, in and out).
set -eu

[ "$(id -u)" = 0 ] || { echo "gen.sh: must run as root (it creates network namespaces)" >&2; exit 1; }
for cmd in ip tcpdump iptables ip6tables ethtool python3; do
	command -v "$cmd" >/dev/null || { echo "gen.sh: missing command '$cmd'" >&2; exit 1; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${DEST:-$HERE}
NA=tdup-a-$$ NR=tdup-r-$$ NB=tdup-b-$$
TMP=$(mktemp -d)
cleanup() {
	for ns in $NA $NR $NB; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

for ns in $NA $NR $NB; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add veth-a netns "$NA" address 02:00:0a:62:01:01 type veth peer name veth-ra netns "$NR" address 02:00:0a:62:01:fe
ip link add veth-b netns "$NB" address 02:00:0a:62:02:02 type veth peer name veth-rb netns "$NR" address 02:00:0a:62:02:fe
ip -n "$NA" addr add 10.98.1.1/24 dev veth-a
ip -n "$NA" addr add fd98:1::1/64 dev veth-a nodad
ip -n "$NR" addr add 10.98.1.254/24 dev veth-ra
ip -n "$NR" addr add fd98:1::fe/64 dev veth-ra nodad
ip -n "$NR" addr add 10.98.2.254/24 dev veth-rb
ip -n "$NR" addr add fd98:2::fe/64 dev veth-rb nodad
ip -n "$NB" addr add 10.98.2.2/24 dev veth-b
ip -n "$NB" addr add fd98:2::2/64 dev veth-b nodad
for pair in "$NA veth-a" "$NR veth-ra" "$NR veth-rb" "$NB veth-b"; do
	set -- $pair
	ip -n "$1" link set "$2" up
	# Checksums in software, so the captured ones are right; no segment
	# offloads, so the taps see the segments that go on the wire.
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1
done
ip -n "$NA" route add default via 10.98.1.254
ip -n "$NA" -6 route add default via fd98:1::fe
ip -n "$NB" route add default via 10.98.2.254
ip -n "$NB" -6 route add default via fd98:2::fe
ip netns exec "$NR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for ns in $NA $NB; do
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0 net.ipv6.auto_flowlabels=0
done
ip netns exec "$NR" iptables -t mangle -A PREROUTING -i veth-ra -p tcp --dport 9201 --syn -j TEE --gateway 10.98.2.2
ip netns exec "$NR" ip6tables -A FORWARD -i veth-ra -p tcp --dport 9202 -m length --length 200:65535 \
	-m statistic --mode nth --every 1000000 --packet 4 -j DROP
# Neighbours known before the capture starts (no ping needed: permanent
# entries).
ip -n "$NA" neigh add 10.98.1.254 lladdr 02:00:0a:62:01:fe dev veth-a nud permanent
ip -n "$NA" neigh add fd98:1::fe lladdr 02:00:0a:62:01:fe dev veth-a nud permanent
ip -n "$NR" neigh add 10.98.1.1 lladdr 02:00:0a:62:01:01 dev veth-ra nud permanent
ip -n "$NR" neigh add fd98:1::1 lladdr 02:00:0a:62:01:01 dev veth-ra nud permanent
ip -n "$NR" neigh add 10.98.2.2 lladdr 02:00:0a:62:02:02 dev veth-rb nud permanent
ip -n "$NR" neigh add fd98:2::2 lladdr 02:00:0a:62:02:02 dev veth-rb nud permanent
ip -n "$NB" neigh add 10.98.2.254 lladdr 02:00:0a:62:02:fe dev veth-b nud permanent
ip -n "$NB" neigh add fd98:2::fe lladdr 02:00:0a:62:02:fe dev veth-b nud permanent

FILTER="tcp port 9201 or tcp port 9202"
ip netns exec "$NA" tcpdump -i veth-a -s 128 -U --immediate-mode -w "$TMP/dup-a.pcap" $FILTER 2>"$TMP/a.err" &
PA=$!
ip netns exec "$NR" tcpdump -i any -s 128 -U --immediate-mode -w "$TMP/dup-r-any.pcap" $FILTER 2>"$TMP/r.err" &
PR=$!
for f in a r; do
	n=0
	until grep -q "listening on" "$TMP/$f.err"; do
		n=$((n + 1)); [ $n -lt 100 ] || { cat "$TMP/$f.err" >&2; exit 1; }
		sleep 0.1
	done
done

run() { # port server-addr octets
	ip netns exec "$NB" python3 "$HERE/traffic.py" server "$2" "$1" >"$TMP/srv.out" &
	srv=$!
	until grep -q LISTENING "$TMP/srv.out"; do sleep 0.05; done
	ip netns exec "$NA" python3 "$HERE/traffic.py" client "$2" "$1" "$3"
	wait $srv
}
run 9201 10.98.2.2 6
run 9202 fd98:2::2 65536
sleep 0.5
kill -INT $PA $PR
wait $PA $PR || true
for f in a r; do
	grep -q "^0 packets dropped by kernel" "$TMP/$f.err" || { echo "gen.sh: tcpdump dropped packets:" >&2; cat "$TMP/$f.err" >&2; exit 1; }
done
mkdir -p "$DEST"
mv "$TMP/dup-a.pcap" "$TMP/dup-r-any.pcap" "$DEST/"
echo "gen.sh: wrote $DEST/dup-a.pcap and $DEST/dup-r-any.pcap ($(uname -r))"
