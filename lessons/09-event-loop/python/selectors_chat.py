# selectors_chat.py: the room protocol (lesson 08's chat) served by one thread with Python's `selectors`,
# the way a first event-loop server is written from the selectors documentation's echo example: one
# DefaultSelector, non-blocking sockets, and for each client an input buffer and an output buffer that is
# written when the socket is writable.
#
#     python3 selectors_chat.py [--trace] HOST:PORT    (default 127.0.0.1:7878; port 0 picks a free port)
#
# It prints `listening on HOST:PORT` once bound; with --trace, `[trace] select: N events` on stderr each
# time select() returns. Naive on purpose in the one way lesson 09 is about: every client is registered
# with EVENT_READ | EVENT_WRITE, always, whether or not something waits to be written. selectors is
# level-triggered: it reports a socket every time it is ready, and a socket with room in its send buffer
# is writable nearly all the time. So once one client is connected, select() returns at once, for ever,
# with nothing to do: the loop spins a core at 100% (run it with --trace and watch the select lines).
# Everything else is the room protocol (chapter 08) with lesson 08's lines and caps (a line over 1024 bytes
# gets an error and the connection is closed; 64 lines may wait for a member, then they are skipped and
# counted); there is no --max-members.
import selectors
import socket
import sys

WELCOME = b"Welcome! What is your name?\n"
MAX_LINE = 1024  # bytes before the newline, as lesson 08's --max-line
QUEUE = 64  # lines that may wait for one member, as lesson 08's --queue
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")

USAGE = "usage: python3 selectors_chat.py [--trace] [--addr] HOST:PORT   (default 127.0.0.1:7878)"
args = sys.argv[1:]
if "-h" in args or "--help" in args:
    print(USAGE)
    sys.exit(0)
trace = "--trace" in args
args = [a for a in args if a not in ("--trace", "--addr")]  # `--addr HOST:PORT` works too, as for our servers
host, _, port = (args[-1] if args else "127.0.0.1:7878").rpartition(":")
if len(args) > 1 or not host or not port.isdigit() or int(port) > 65535:
    sys.exit(f"selectors_chat.py: expected one HOST:PORT, e.g. 127.0.0.1:7878, not {' '.join(args)!r}\n{USAGE}")


def log(what):
    if trace:
        print("[trace]", what, file=sys.stderr, flush=True)


class Client:
    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.name = None
        self.inbuf = b""
        self.outbox = []  # whole lines, oldest first
        self.written = 0  # bytes of outbox[0] already sent
        self.skipped = 0
        self.closing = False  # close once the outbox is written


sel = selectors.DefaultSelector()
members = []  # the named clients, in order of joining


def offer(client, line):
    if client.skipped and len(client.outbox) < QUEUE:
        client.outbox.append(f"* {client.skipped} messages skipped\n".encode())
        client.skipped = 0
    if len(client.outbox) < QUEUE:
        client.outbox.append(line.encode())
    else:
        client.skipped += 1


def tell_others(client, line):
    for other in members:
        if other is not client:
            offer(other, line)


def online():
    return "* online: " + ", ".join(m.name for m in members) + "\n"


def leave(client):
    if client.sock.fileno() == -1:
        return  # closed already: `* NAME left` goes out once
    sel.unregister(client.sock)
    client.sock.close()
    log(f"close {client.addr[0]}:{client.addr[1]}")
    if client in members:
        members.remove(client)
        tell_others(client, f"* {client.name} left\n")


def on_line(client, raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        offer(client, "error: that line is not UTF-8 text; it was not sent\n")
        return
    if client.name is None:
        if not (1 <= len(text) <= 32 and set(text) <= NAME_CHARS):
            shown = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
            offer(client, f"error: {shown} is not a name: use 1 to 32 letters, digits, - or _ (no spaces); try another\n")
        elif any(m.name == text for m in members):
            offer(client, f"error: the name {text} is taken; try another\n")
        else:
            client.name = text
            members.append(client)
            offer(client, online())
            tell_others(client, f"* {text} joined\n")
    elif text == "":
        pass
    elif text == "/quit":
        client.closing = True
    elif text == "/who":
        offer(client, online())
    elif text.startswith("/"):
        offer(client, "error: unknown command\n")
    else:
        tell_others(client, f"{client.name}: {text}\n")


# ANCHOR: accept
def accept(listener):
    sock, addr = listener.accept()  # one per event: select() says so again if more are waiting
    sock.setblocking(False)
    log(f"accept {addr[0]}:{addr[1]}")
    client = Client(sock, addr)
    client.outbox.append(WELCOME)
    # The naive part: write interest always on, for every client.
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
# ANCHOR_END: accept


def read(client):
    try:
        data = client.sock.recv(4096)  # once per event: select() says so again if more is waiting
    except BlockingIOError:
        return
    except OSError:
        return leave(client)
    if not data:
        client.closing = True  # end of stream: close once what waits for it is written
        return
    client.inbuf += data
    while not client.closing:
        end = client.inbuf.find(b"\n")
        if end < 0:
            if len(client.inbuf) > MAX_LINE + 1:  # no newline yet, and already too long
                break
            return
        line, client.inbuf = client.inbuf[:end].removesuffix(b"\r"), client.inbuf[end + 1:]
        if len(line) > MAX_LINE:
            break
        on_line(client, line)
    else:
        return
    offer(client, f"error: line too long (the most is {MAX_LINE} bytes); closing the connection\n")
    client.closing = True


def write(client):
    while client.outbox:
        line = client.outbox[0]
        try:
            n = client.sock.send(line[client.written:])
        except BlockingIOError:
            return
        except OSError:
            return leave(client)
        client.written += n
        if client.written == len(line):
            client.outbox.pop(0)
            client.written = 0


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((host, int(port)))
listener.listen(128)
listener.setblocking(False)
sel.register(listener, selectors.EVENT_READ, None)
bound = listener.getsockname()
print(f"listening on {bound[0]}:{bound[1]}", flush=True)

# ANCHOR: select_loop
try:
    while True:
        events = sel.select()
        log(f"select: {len(events)} events")
        for key, mask in events:
            if key.data is None:
                accept(listener)
                continue
            client = key.data
            if mask & selectors.EVENT_READ and not client.closing:
                read(client)
            if mask & selectors.EVENT_WRITE and client.sock.fileno() != -1:
                write(client)
            if client.closing and not client.outbox and client.sock.fileno() != -1:
                leave(client)
except KeyboardInterrupt:
    pass
# ANCHOR_END: select_loop
