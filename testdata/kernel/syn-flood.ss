# scenario: syn-flood
# a: 10.99.0.1:42500-42529 (client: connect from port 42500 (it waits in b's accept queue), then a burst of non-blocking connect()s from the next 29 ports; the first of them with TCP_QUICKACK 0, so its final ACK is a delayed ACK (200 ms))
# b: 10.99.0.2:9025 (server: listen(fd, 1), never accept(); SYN cookies off, tcp_max_syn_backlog 8 in b)
# expected: ports 42500 and 42502 ESTABLISHED at both ends (b: in the accept queue, now full); port 42501 a ESTABLISHED, b SYN-RECEIVED (its late ACK dropped by the full accept queue); the others a SYN-SENT (SYNs dropped), b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:42500 10.99.0.2:9025 ESTABLISHED
a 10.99.0.1:42501 10.99.0.2:9025 ESTABLISHED
a 10.99.0.1:42502 10.99.0.2:9025 ESTABLISHED
a 10.99.0.1:42503 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42504 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42505 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42506 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42507 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42508 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42509 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42510 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42511 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42512 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42513 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42514 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42515 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42516 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42517 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42518 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42519 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42520 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42521 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42522 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42523 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42524 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42525 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42526 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42527 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42528 10.99.0.2:9025 SYN-SENT
a 10.99.0.1:42529 10.99.0.2:9025 SYN-SENT
b 10.99.0.2:9025 *:* LISTEN
b 10.99.0.2:9025 10.99.0.1:42500 ESTABLISHED
b 10.99.0.2:9025 10.99.0.1:42501 SYN-RECEIVED
b 10.99.0.2:9025 10.99.0.1:42502 ESTABLISHED
