# scenario: half-close
# a: 10.99.0.1:40004 (client: connect, send "hello", read "world", shutdown(SHUT_WR), keeps reading, socket left open)
# b: 10.99.0.2:9004 (server: listen, accept, read "hello", send "world", read EOF, send "data 1".."data 3", socket left open)
# expected: a FIN-WAIT-2, b CLOSE-WAIT
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40004 10.99.0.2:9004 FIN-WAIT-2
b 10.99.0.2:9004 *:* LISTEN
b 10.99.0.2:9004 10.99.0.1:40004 CLOSE-WAIT
