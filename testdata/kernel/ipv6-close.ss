# scenario: ipv6-close
# a: [fd99::1]:40013 (client: connect, send "hello", read "world", close())
# b: [fd99::2]:9013 (server: listen, accept, read "hello", send "world", read EOF, close())
# expected: a TIME-WAIT (active closer); b CLOSED (only the listener is left)
# format: <namespace a|b> <local> <peer> <state>; a connection end with no line is CLOSED
# source: ss -tanoi in both namespaces once the traffic had settled (Linux 6.18.44-fc-v669)
a [fd99::1]:40013 [fd99::2]:9013 TIME-WAIT
b [fd99::2]:9013 *:* LISTEN
