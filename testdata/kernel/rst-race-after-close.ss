# scenario: rst-race-after-close
# a: 10.99.0.1:40028 (client: connect, send "hello", read "world", TCP_NODELAY, then 5 writes "data 1".."data 5" at once; the first reaches b, the others wait in a's queue (tbf) and cross b's RST; the RST closes a (ECONNRESET), close())
# b: 10.99.0.2:9028 (server: listen, accept, read "hello", send "world", close() with "data 1" unread: RST; the kernel answers each later segment with a RST (SEQ = its ACK))
# expected: a CLOSED, b CLOSED (only the listener)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
b 10.99.0.2:9028 *:* LISTEN
