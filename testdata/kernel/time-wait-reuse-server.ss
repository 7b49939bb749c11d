# scenario: time-wait-reuse-server
# a: 10.99.0.1:40012 (client: connect, send "hello", read "world", read EOF, close(); then connect again from the same port, send "hello", read "world", left open)
# b: 10.99.0.2:9012 (server: listen, accept, read "hello", send "world", close() first (TIME-WAIT); the new SYN hits the TIME-WAIT socket and is accepted, read "hello", send "world", left open)
# expected: second connection: a ESTABLISHED, b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40012 10.99.0.2:9012 ESTABLISHED
b 10.99.0.2:9012 *:* LISTEN
b 10.99.0.2:9012 10.99.0.1:40012 ESTABLISHED
