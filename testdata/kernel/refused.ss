# scenario: refused
# a: 10.99.0.1:40003 (client: connect to a port nobody listens on: ECONNREFUSED)
# b: 10.99.0.2:9003 (nothing (no listener))
# expected: a CLOSED, b CLOSED (no socket at all)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
