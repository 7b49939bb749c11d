# scenario: self-connect-close
# a: 10.99.0.1:40016 (as self-connect, then shutdown(SHUT_WR) (FIN-WAIT-1), gets its own FIN, which does not ACK that FIN (CLOSING), then the ACK of it (TIME-WAIT); reads EOF, close())
# b: nothing: the socket talks to itself in namespace a
# expected: a TIME-WAIT (one socket, both ends of the connection; FIN-WAIT-1 -> CLOSING -> TIME-WAIT)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40016 10.99.0.1:40016 TIME-WAIT
