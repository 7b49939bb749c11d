# scenario: time-wait-reuse
# a: 10.99.0.1:40011 (client: connect, send "hello", read "world", shutdown(SHUT_WR), read EOF (TIME-WAIT), close(); then again from the same port (SO_REUSEADDR, the kernel reuses the TIME-WAIT 4-tuple), send "hello", read "world", left open)
# b: 10.99.0.2:9011 (server: listen, accept, read "hello", send "world", read EOF, close(); accept the second connection, read "hello", send "world", left open)
# expected: second connection: a ESTABLISHED, b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40011 10.99.0.2:9011 ESTABLISHED
b 10.99.0.2:9011 *:* LISTEN
b 10.99.0.2:9011 10.99.0.1:40011 ESTABLISHED
