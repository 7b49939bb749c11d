# scenario: fin-crossing-rst
# a: 10.99.0.1:40031 (client: connect, send "hello", read "world", send "data 1", shutdown(SHUT_WR): the FIN waits in a's queue; b's RST closes a in FIN-WAIT-1 (ECONNRESET), close())
# b: 10.99.0.2:9031 (server: listen, accept, read "hello", send "world", read "data 1", close() with SO_LINGER {1,0}: RST; the kernel answers a's FIN, which comes after, with a RST (SEQ = its ACK))
# expected: a CLOSED, b CLOSED (only the listener)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
b 10.99.0.2:9031 *:* LISTEN
