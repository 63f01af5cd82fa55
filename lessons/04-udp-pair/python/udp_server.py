# udp_server.py: the UDP server of a Python socket tutorial: `Hello, X!` for each datagram, sent back to
# whoever sent it.
#
#     python3 udp_server.py [HOST:PORT]      (the last argument; `--addr HOST:PORT` works too)
#
# Naive on purpose, as the tutorials write it:
# - `recvfrom(1024)` cuts a longer datagram to 1024 bytes without a word, and the reply greets the stump;
# - the reply copies the datagram as it is: a tag the client put in front (`#1 dbb`) ends up inside it
#   (`Hello, #1 dbb!`), where the client cannot find it;
# - a thread per datagram, with no bound.
import socket
import sys
import threading

host, port = (sys.argv[-1] if len(sys.argv) > 1 else "127.0.0.1:9999").rsplit(":", 1)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, int(port)))
# The course's servers all announce their address this way; tests wait for this line.
print("listening on %s:%d" % s.getsockname(), flush=True)


def udplink(sock, data, addr):
    sock.sendto(b"Hello, %s!" % data, addr)


while True:
    data, addr = s.recvfrom(1024)
    t = threading.Thread(target=udplink, args=(s, data, addr))
    t.start()
