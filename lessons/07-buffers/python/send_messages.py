# send_messages.py: a Python tutorial's client, sending messages: connect, send() each one, close.
#
#     python3 send_messages.py [HOST:PORT]
#
# Naive on purpose, as the tutorials write it:
# - each send() is taken to arrive as one message, so nothing marks where a message ends: the receiver's
#   recv(1024) may return two of them glued together, or part of one;
# - send(), not sendall(): what it returns, how many bytes it took, is never looked at;
# - no timeout: a receiver that never reads would keep it waiting for ever.
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7878").rsplit(":", 1)

client_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client_socket.connect((host, int(port)))
for message in ["one", "two", "three", "four"]:
    client_socket.send(message.encode("utf-8"))
client_socket.close()
