# scenario: synack-lost-at-client
# a: 10.99.0.1:40032 (client: non-blocking connect(); iptables in a's INPUT drops b's SYN-ACKs (the capture has them), so it sends its SYN again after 1 s, still SYN-SENT)
# b: 10.99.0.2:9032 (server: listen, never accept(); its SYN-ACK retransmissions (and answers to the SYN again) are dropped in b's OUTPUT (not in the capture))
# expected: a SYN-SENT, b SYN-RECEIVED (a request socket)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
a 10.99.0.1:40032 10.99.0.2:9032 SYN-SENT
b 10.99.0.2:9032 *:* LISTEN
b 10.99.0.2:9032 10.99.0.1:40032 SYN-RECEIVED
