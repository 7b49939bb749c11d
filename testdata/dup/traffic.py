#!/usr/bin/env python3
"""One side of a testdata/dup scenario (see README.md and gen.sh).

    traffic.py server ADDR PORT   accept one connection, read to EOF, close;
                                  print LISTENING once listening
    traffic.py client ADDR PORT N connect, send N octets, close, read to EOF

Plain blocking sockets: what goes on the wire is the kernel's doing.
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(addr, port):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("LISTENING", flush=True)
    s, _ = ls.accept()
    while s.recv(65536):
        pass
    s.close()
    ls.close()


def client(addr, port, n):
    s = socket.create_connection((addr, port), timeout=10)
    s.sendall(b"x" * n)
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()


if __name__ == "__main__":
    role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if role == "server":
        server(addr, port)
    else:
        client(addr, port, int(sys.argv[4]))
