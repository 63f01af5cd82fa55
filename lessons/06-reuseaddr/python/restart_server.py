# restart_server.py: the first TCP server of a Python tutorial, as a learner types it before the
# "port reuse" line: socket, bind, listen, accept one client, recv, send, close.
#
#     python3 restart_server.py [--reuse] [HOST:PORT]
#
# Run it, connect once (`nc 127.0.0.1 8080`, type a line), and run it again at once: the second run
# stops at `bind` with "OSError: [Errno 98] Address already in use". `--reuse` adds the forum's fix,
# `setsockopt(SO_REUSEADDR)`, which works only once every run of the server has it.
# Naive on purpose, as the tutorials write it:
# - SO_REUSEADDR is off (as `socket.socket()` makes every socket), and the server closes first, so its
#   end of every connection waits in TIME_WAIT for 60 s and holds the port;
# - one `recv(1024)` is taken to be the client's whole message;
# - `send` is used instead of `sendall`, and its count is never checked;
# - no timeout: a client that connects and says nothing keeps it waiting for ever.
import socket
import sys

words = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
host, port = (words[-1] if words else "127.0.0.1:8080").rsplit(":", 1)

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if "--reuse" in sys.argv:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
server.bind((host, int(port)))
server.listen(128)
print("listening on %s:%d" % server.getsockname(), flush=True)

conn, client = server.accept()
print("client:", client, flush=True)
data = conn.recv(1024)
print("received:", data.decode("utf-8"), flush=True)
conn.send(b"got it\n")
conn.close()  # the server closes first: its end of the connection waits in TIME_WAIT
server.close()
