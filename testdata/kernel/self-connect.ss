# scenario: self-connect
# a: 10.99.0.1:40015 (bind, connect() to its own address and port (SYN-SENT gets its own SYN: SYN-RECEIVED, then its own SYN-ACK: ESTABLISHED), send "hello" to itself, read it back, socket left open)
# b: nothing: the socket talks to itself in namespace a
# expected: a ESTABLISHED (one socket, both ends of the connection)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40015 10.99.0.1:40015 ESTABLISHED
