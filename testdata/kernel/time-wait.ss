# scenario: time-wait
# a: 10.99.0.1:40010 (client: connect, close() (no data))
# b: 10.99.0.2:9010 (server: listen, accept, read EOF, close())
# expected: a TIME-WAIT, b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40010 10.99.0.2:9010 TIME-WAIT
b 10.99.0.2:9010 *:* LISTEN
