# scenario: keepalive
# a: 10.99.0.1:40021 (client: connect, send "hello", read "world", then SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, idle 3.5 s)
# b: 10.99.0.2:9021 (server: listen, accept, read "hello", send "world", idle)
# expected: a ESTABLISHED, b ESTABLISHED
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a 10.99.0.1:40021 10.99.0.2:9021 ESTABLISHED
b 10.99.0.2:9021 *:* LISTEN
b 10.99.0.2:9021 10.99.0.1:40021 ESTABLISHED
