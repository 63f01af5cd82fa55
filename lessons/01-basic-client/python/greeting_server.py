# greeting_server.py: the server of a Python socket tutorial: `Welcome`, then `Hello, X!` for each message,
# a thread per client.
#
#     python3 greeting_server.py [HOST:PORT]      (the last argument; `--addr HOST:PORT` works too)
#
# Naive on purpose, as the tutorials write it:
# - each `recv(1024)` is taken to be one whole message, so two lines that arrive together get one reply,
#   `Hello, Alice\nBob!`, and a line split across two reads gets two;
# - `send` is used instead of `sendall`, and its count is never checked;
# - no timeout, and no bound on the number of threads.
import socket
import sys
import threading

host, port = (sys.argv[-1] if len(sys.argv) > 1 else "127.0.0.1:9999").rsplit(":", 1)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((host, int(port)))
s.listen(5)
# The course's servers all announce their address this way; tests wait for this line.
print("listening on %s:%d" % s.getsockname(), flush=True)


def tcplink(sock, addr):
    sock.send(b"Welcome\n")
    while True:
        data = sock.recv(1024).decode("utf-8").strip()
        if not data or data == "exit":
            break
        sock.send(("Hello, %s!\n" % data).encode("utf-8"))
    sock.close()


while True:
    sock, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(sock, addr))
    t.start()
