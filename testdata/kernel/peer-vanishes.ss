# scenario: peer-vanishes
# a: 10.99.0.1:40023 (client: connect, send "hello", read "world", then (b vanished) send 14 bytes, retransmitted until tcp_retries2 (3) gives up: ETIMEDOUT)
# b: 10.99.0.2:9023 (server: listen, accept, read "hello", send "world", left open; then iptables in b drops everything of the connection both ways)
# expected: a CLOSED (timed out, nothing sent), b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
b 10.99.0.2:9023 *:* LISTEN
b 10.99.0.2:9023 10.99.0.1:40023 ESTABLISHED
