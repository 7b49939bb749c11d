# scenario: simultaneous-open
# a: 10.99.0.1:40006 (bind, non-blocking connect() to b (no listener anywhere); first SYN dropped in OUTPUT by iptables)
# b: 10.99.0.2:9006 (bind, non-blocking connect() to a, microseconds after a; first SYN dropped in OUTPUT; rules removed, both SYN retransmissions cross)
# expected: a ESTABLISHED, b ESTABLISHED (SYN-SENT -> SYN-RECEIVED -> ESTABLISHED on both)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40006 10.99.0.2:9006 ESTABLISHED
b 10.99.0.2:9006 10.99.0.1:40006 ESTABLISHED
