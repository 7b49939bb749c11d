# scenario: rst-crossing
# a: 10.99.0.1:40030 (client: connect, send "hello", read "world", send "data 1" (it empties a's queue's token bucket), close() with SO_LINGER {1,0}: its RST waits in the queue)
# b: 10.99.0.2:9030 (server: listen, accept, read "hello", send "world", read "data 1", close() with SO_LINGER {1,0} microseconds after a: its RST reaches a, which has no socket; a's RST reaches b, which has none either)
# expected: a CLOSED, b CLOSED (only the listener)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
b 10.99.0.2:9030 *:* LISTEN
