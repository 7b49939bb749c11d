# scenario: zero-window-fin-fits
# a: 10.99.0.1:40020 (client: connect, write what the window takes but one octet until it is all acknowledged, close(): the FIN fills the window's last octet)
# b: 10.99.0.2:9020 (server: listen (SO_RCVBUF 16 KiB), accept, never read)
# expected: a FIN-WAIT-2, b CLOSE-WAIT (the FIN is accepted and ACKed with a zero window)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40020 10.99.0.2:9020 FIN-WAIT-2
b 10.99.0.2:9020 *:* LISTEN
b 10.99.0.2:9020 10.99.0.1:40020 CLOSE-WAIT
