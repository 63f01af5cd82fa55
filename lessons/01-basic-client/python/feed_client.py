# feed_client.py: the first client of a Python socket tutorial: connect, then print what the server sends
# until it closes.
#
#     python3 feed_client.py [HOST:PORT]
#
# Naive on purpose, as the tutorials write it:
# - each `recv(1024)` is decoded on its own, so a character whose bytes are split between two reads raises
#   UnicodeDecodeError (lesson 01's step 3 keeps the unfinished character for the next read);
# - no timeout: a server that accepts and says nothing keeps it waiting for ever.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7878").rsplit(":", 1)

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.connect((host, int(port)))
while True:
    data = client_socket.recv(1024)
    if not data:
        break
    print(data.decode("utf-8"), end="")
client_socket.close()
