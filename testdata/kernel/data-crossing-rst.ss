# scenario: data-crossing-rst
# a: 10.99.0.1:40029 (client: connect, send "hello", read "world", TCP_NODELAY, then 5 writes at once (the first reaches b, the others wait in a's queue); gets "bye", ACKs it (the ACK queues behind the data); the RST closes a (ECONNRESET), close())
# b: 10.99.0.2:9029 (server: listen, accept, read "hello", send "world", read "data 1", send "bye", close() with SO_LINGER {1,0}: RST; the kernel answers each later segment with a RST (SEQ = its ACK))
# expected: a CLOSED, b CLOSED (only the listener)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
b 10.99.0.2:9029 *:* LISTEN
