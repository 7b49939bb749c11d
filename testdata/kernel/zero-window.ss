# scenario: zero-window
# a: 10.99.0.1:40018 (client: connect (SO_SNDBUF 32 KiB), write until the send buffer is full and the window zero, wait 1.5 s (zero-window probes), close(): FIN queued behind unsent data)
# b: 10.99.0.2:9018 (server: listen (SO_RCVBUF 16 KiB), accept, never read)
# expected: a FIN-WAIT-1 (FIN not sent), b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40018 10.99.0.2:9018 FIN-WAIT-1
b 10.99.0.2:9018 *:* LISTEN
b 10.99.0.2:9018 10.99.0.1:40018 ESTABLISHED
