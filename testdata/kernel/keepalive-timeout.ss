# scenario: keepalive-timeout
# a: 10.99.0.1:40035 (client: connect, send "hello", read "world"; then (b's answers lost) SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 3: three keep-alives unanswered on the wire, the kernel gives up: RST (SEQ = SND.NXT), ETIMEDOUT)
# b: 10.99.0.2:9035 (server: listen, accept, read "hello", send "world", idle; then iptables in b's OUTPUT drops everything b sends on the connection (a broken return path: b gets the keep-alives, its ACKs of them never reach the wire), and b gets a's RST, SEQ = RCV.NXT: reset)
# expected: a CLOSED (gave up, RST sent), b CLOSED (reset by that RST; only the listener is left)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
b 10.99.0.2:9035 *:* LISTEN
