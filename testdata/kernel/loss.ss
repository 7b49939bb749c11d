# scenario: loss
# a: 10.99.0.1:40017 (client: connect, send 256 KiB, read 3 MiB, close(); iptables in a's INPUT drops 3% of b's segments longer than 100 bytes (data))
# b: 10.99.0.2:9017 (server: listen, accept, read 256 KiB, send 3 MiB, read EOF, close(); iptables in b's INPUT drops 3% of a's data segments)
# expected: a TIME-WAIT, b CLOSED (as close-client-first, after retransmissions)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40017 10.99.0.2:9017 TIME-WAIT
b 10.99.0.2:9017 *:* LISTEN
