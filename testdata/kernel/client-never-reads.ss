# scenario: client-never-reads
# a: 10.99.0.1:40027 (client: connect (SO_RCVBUF 16 KiB), never read)
# b: 10.99.0.2:9027 (server: listen (SO_SNDBUF 32 KiB), accept, write until the send buffer is full and the window zero, wait 1.5 s (zero-window probes), close(): FIN queued behind unsent data)
# expected: a ESTABLISHED, b FIN-WAIT-1 (FIN not sent)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40027 10.99.0.2:9027 ESTABLISHED
b 10.99.0.2:9027 *:* LISTEN
b 10.99.0.2:9027 10.99.0.1:40027 FIN-WAIT-1
