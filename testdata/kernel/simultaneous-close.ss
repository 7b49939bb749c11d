# scenario: simultaneous-close
# a: 10.99.0.1:40007 (client: connect, send "hello", read "world", shutdown(SHUT_WR) at the same time as b (FIN held back by iptables, then retransmitted))
# b: 10.99.0.2:9007 (server: listen, accept, read "hello", send "world", shutdown(SHUT_WR) at the same time as a (same))
# expected: a TIME-WAIT, b TIME-WAIT (FIN-WAIT-1 -> CLOSING -> TIME-WAIT on both)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40007 10.99.0.2:9007 TIME-WAIT
b 10.99.0.2:9007 *:* LISTEN
b 10.99.0.2:9007 10.99.0.1:40007 TIME-WAIT
