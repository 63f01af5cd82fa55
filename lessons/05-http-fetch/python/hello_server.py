# hello_server.py: the web server of a Python socket tutorial: accept, read the request with one
# `recv(1024)`, answer with a small page, close; one client after the other.
#
#     python3 hello_server.py [HOST:PORT]      (the last argument; `--addr HOST:PORT` works too)
#
# Naive on purpose, as the tutorials write it:
# - one `recv(1024)` is taken to be the whole request: a request that arrives in pieces is answered from
#   its first piece, and an empty one (a client that connects and closes) crashes the server (IndexError);
# - the response has no `Content-Length`: its body ends where the connection does, so a client cannot tell
#   a whole page from one cut short;
# - `send` instead of `sendall`, and no timeout.
import socket
import sys

host, port = (sys.argv[-1] if len(sys.argv) > 1 else "127.0.0.1:8000").rsplit(":", 1)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((host, int(port)))
s.listen(5)
# The course's servers all announce their address this way; tests wait for this line.
print("listening on %s:%d" % s.getsockname(), flush=True)

while True:
    conn, addr = s.accept()
    request = conn.recv(1024).decode("utf-8")
    path = request.split(" ")[1]
    page = "<h1>Hello from %s</h1>\n" % path
    conn.send(("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + page).encode("utf-8"))
    conn.close()
