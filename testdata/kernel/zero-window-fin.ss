# scenario: zero-window-fin
# a: 10.99.0.1:40019 (client: connect, write exactly what the window takes until it is all acknowledged and the window is zero, close(): only the FIN is left to send, and it does not fit)
# b: 10.99.0.2:9019 (server: listen (SO_RCVBUF 16 KiB), accept, never read)
# expected: a FIN-WAIT-1 (FIN not sent into the zero window), b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40019 10.99.0.2:9019 FIN-WAIT-1
b 10.99.0.2:9019 *:* LISTEN
b 10.99.0.2:9019 10.99.0.1:40019 ESTABLISHED
