# scenario: server-lost
# a: 10.99.0.1:40024 (client: connect, send "hello", read "world", then send 13 bytes: the answer is a RST, read gets ECONNRESET, close())
# b: 10.99.0.2:9024 (server: listen, accept, read "hello", send "world", close() with SO_LINGER {1,0} while iptables in b's OUTPUT drops RSTs (the RST never reaches the wire); the kernel answers the client's data with a RST)
# expected: a CLOSED, b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
b 10.99.0.2:9024 *:* LISTEN
