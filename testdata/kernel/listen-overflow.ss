# scenario: listen-overflow
# a: 10.99.0.1:42700-42705 (6 clients 100 ms apart: non-blocking connect() to 10.99.0.2:9033; the first two complete, the SYNs of the others are dropped and sent again; then from 10.99.0.1:40034 connect to 10.99.0.2:9034, send "hello", read "world", close())
# b: 10.99.0.2:9033 (server: listen(fd, 1) on 10.99.0.2:9033, never accept() (accept queue full with 2); listen on 10.99.0.2:9034, accept, read "hello", send "world", read EOF, close(); sysctls at a new namespace's defaults (tcp_syncookies 1))
# expected: ports 42700 and 42701 ESTABLISHED at both ends (b: in the full accept queue); the others a SYN-SENT, b CLOSED (SYNs dropped); the connection to port 9034: a TIME-WAIT, b CLOSED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v1272)
a 10.99.0.1:40034 10.99.0.2:9034 TIME-WAIT
a 10.99.0.1:42700 10.99.0.2:9033 ESTABLISHED
a 10.99.0.1:42701 10.99.0.2:9033 ESTABLISHED
a 10.99.0.1:42702 10.99.0.2:9033 SYN-SENT
a 10.99.0.1:42703 10.99.0.2:9033 SYN-SENT
a 10.99.0.1:42704 10.99.0.2:9033 SYN-SENT
a 10.99.0.1:42705 10.99.0.2:9033 SYN-SENT
b 10.99.0.2:9033 *:* LISTEN
b 10.99.0.2:9033 10.99.0.1:42700 ESTABLISHED
b 10.99.0.2:9033 10.99.0.1:42701 ESTABLISHED
b 10.99.0.2:9034 *:* LISTEN
