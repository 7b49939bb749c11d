# scenario: syn-dropped
# a: 10.99.0.1:40022 (client: non-blocking connect(); its SYN is sent again after 1 s and again (3 SYNs captured), never answered)
# b: 10.99.0.2:9022 (server: listen; iptables in b's INPUT drops the SYNs to its port (the capture still sees them))
# expected: a SYN-SENT, b CLOSED (only the listener)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40022 10.99.0.2:9022 SYN-SENT
b 10.99.0.2:9022 *:* LISTEN
