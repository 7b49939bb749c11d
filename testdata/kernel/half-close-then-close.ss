# scenario: half-close-then-close
# a: 10.99.0.1:40005 (client: connect, send "hello", read "world", shutdown(SHUT_WR), keeps reading, socket left open)
# b: 10.99.0.2:9005 (server: listen, accept, read "hello", send "world", read EOF, send "data 1".."data 3", send "bye", close())
# expected: a TIME-WAIT, b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40005 10.99.0.2:9005 TIME-WAIT
b 10.99.0.2:9005 *:* LISTEN
