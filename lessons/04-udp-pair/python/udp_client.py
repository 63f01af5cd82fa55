# udp_client.py: the UDP client of a Python socket tutorial: send each name, print the reply.
#
#     python3 udp_client.py [HOST:PORT] [NAME...]
#
# Naive on purpose, as the tutorials write it:
# - no timeout and no retry: one lost datagram, or a server that is not running, and `recv` waits for ever;
# - any datagram is taken as the reply to the last name sent, whoever sent it and whenever.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9999").rsplit(":", 1)
names = sys.argv[2:] or ["dbb", "lily"]

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for name in names:
    s.sendto(name.encode("utf-8"), (host, int(port)))
    print(s.recv(1024).decode("utf-8").rstrip("\n"))
s.close()
