# The tutorial's chat client, pointed at a chat room: what a learner writes first. Naive on purpose:
# it strictly alternates (input() then recv), so it shows nothing that arrives while it waits for input,
# and it takes one recv(1024) as "the reply", which may be half a line or several lines.
# Usage: python3 chat_client.py HOST:PORT   (lines to send on stdin; "quit" ends)
import socket
import sys

host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:7878").rsplit(":", 1)
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.connect((host, int(port)))
print("[+] connected")
print("server:", c.recv(1024).decode("utf-8"), end="", flush=True)
while True:
    try:
        msg = input(">>> ")
    except EOFError:
        break
    if msg == "quit":
        break
    c.send((msg + "\n").encode("utf-8"))
    data = c.recv(1024)
    if not data:
        print("[+] the server closed the connection")
        break
    print("server:", data.decode("utf-8"), end="", flush=True)
print("[+] closing")
c.close()
