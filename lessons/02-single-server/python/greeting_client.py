# greeting_client.py: the client a Python tutorial has you write for a greeting server.
#
#     python3 greeting_client.py [HOST:PORT] [NAME...]
#
# Naive on purpose, as the tutorials write it:
# - each `recv(1024)` is taken to be one whole message (TCP has no messages: it may be half of one, or two);
# - `send` is used instead of `sendall`, and its count is never checked;
# - the names are sent without a newline, so a server that reads lines never sees one end;
# - no timeout anywhere: if the server never answers, this waits for ever.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:9999").rsplit(":", 1)
names = sys.argv[2:] or ["Alice", "Bob"]

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, int(port)))
print(s.recv(1024).decode("utf-8"), end="")
for name in names:
    s.send(name.encode("utf-8"))
    print(s.recv(1024).decode("utf-8"), end="")
s.send(b"exit")
s.close()
