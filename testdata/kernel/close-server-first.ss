# scenario: close-server-first
# a: 10.99.0.1:40002 (client: connect, send "hello", read "world", read EOF, close())
# b: 10.99.0.2:9002 (server: listen, accept, read "hello", send "world", close())
# expected: b TIME-WAIT (active closer); a CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
b 10.99.0.2:9002 *:* LISTEN
b 10.99.0.2:9002 10.99.0.1:40002 TIME-WAIT
