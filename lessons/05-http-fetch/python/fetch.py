# fetch.py: the HTTP client of a Python socket tutorial: a GET request written by hand, every `recv(1024)`
# until the server closes, and the response split at its first blank line.
#
#     python3 fetch.py [HOST:PORT] [PATH]      (the head goes to stderr, the body to stdout)
#
# Naive on purpose, as the tutorials write it:
# - the end of the body is taken to be the end of the connection: a server that keeps the connection open
#   (HTTP/1.1 does, unless it honours `Connection: close`) keeps it waiting for ever, with the body already
#   received;
# - the head is never read, so `Content-Length` and `Transfer-Encoding` are ignored: a body cut short by
#   the server is written as if it were whole, and a chunked body is written with its chunk sizes in it;
# - the whole response is held in memory before anything is written;
# - `send` instead of `sendall`, and no timeout.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8000").rsplit(":", 1)
path = sys.argv[2] if len(sys.argv) > 2 else "/"

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, int(port)))
s.send(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode("utf-8"))

buffer = []
while True:
    d = s.recv(1024)
    if d:
        buffer.append(d)
    else:
        break
data = b"".join(buffer)
s.close()

header, html = data.split(b"\r\n\r\n", 1)
print(header.decode("utf-8"), file=sys.stderr)
sys.stdout.buffer.write(html)
