# scenario: rst-abort
# a: 10.99.0.1:40008 (client: connect, send "hello", read "world", close() with SO_LINGER {1,0}: RST)
# b: 10.99.0.2:9008 (server: listen, accept, read "hello", send "world", read gets ECONNRESET, close())
# expected: a CLOSED, b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
b 10.99.0.2:9008 *:* LISTEN
