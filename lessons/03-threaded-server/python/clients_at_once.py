# clients_at_once.py: what a Python learner writes to try a threaded server: several clients at once.
#
#     python3 clients_at_once.py [HOST:PORT]
#
# Clients a and b connect and stay; b asks `who`; c comes third (over a bound of 2, it is turned away);
# then a says its name. Naive on purpose, as the tutorials write it:
# - each `recv(1024)` is taken to be one whole line (it happens to be, here: the server writes a line at a
#   time and waits for the next one);
# - `send` is used instead of `sendall`, and its count is never checked;
# - no timeout: a server that never answers keeps it waiting for ever.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9999").rsplit(":", 1)
server = (host, int(port))

a = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
a.connect(server)
b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
b.connect(server)
print("a:", a.recv(1024))
print("b:", b.recv(1024))
b.send(b"who\n")
print("b:", b.recv(1024))

c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect(server)
print("c:", c.recv(1024))
print("c:", c.recv(1024))  # b'' when the server has closed the connection
c.close()

a.send(b"Alice\n")
print("a:", a.recv(1024))
a.send(b"exit\n")
b.send(b"exit\n")
a.close()
b.close()
