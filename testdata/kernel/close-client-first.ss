# scenario: close-client-first
# a: 10.99.0.1:40001 (client: connect, send "hello", read "world", close())
# b: 10.99.0.2:9001 (server: listen, accept, read "hello", send "world", read EOF, close())
# expected: a TIME-WAIT (active closer); b CLOSED (only the listener is left)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40001 10.99.0.2:9001 TIME-WAIT
b 10.99.0.2:9001 *:* LISTEN
