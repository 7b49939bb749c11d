# scenario: close-wait-leak
# a: 10.99.0.1:42600-42603 (4 clients one after the other: connect, send "hello", read "world", close())
# b: 10.99.0.2:9026 (server: listen, accept each, read "hello", send "world", read EOF, never close())
# expected: every a FIN-WAIT-2, every b CLOSE-WAIT
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:42600 10.99.0.2:9026 FIN-WAIT-2
a 10.99.0.1:42601 10.99.0.2:9026 FIN-WAIT-2
a 10.99.0.1:42602 10.99.0.2:9026 FIN-WAIT-2
a 10.99.0.1:42603 10.99.0.2:9026 FIN-WAIT-2
b 10.99.0.2:9026 *:* LISTEN
b 10.99.0.2:9026 10.99.0.1:42600 CLOSE-WAIT
b 10.99.0.2:9026 10.99.0.1:42601 CLOSE-WAIT
b 10.99.0.2:9026 10.99.0.1:42602 CLOSE-WAIT
b 10.99.0.2:9026 10.99.0.1:42603 CLOSE-WAIT
