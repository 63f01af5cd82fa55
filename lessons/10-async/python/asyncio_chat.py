#!/usr/bin/env python3
# asyncio_chat.py: the chat room of lessons 08 to 10 (the room protocol, chapter 08) written with Python's
# asyncio, the way a first asyncio server is written from its streams documentation: asyncio.start_server,
# one coroutine per client reading lines, and for each member a bounded asyncio.Queue drained by a writer
# task of its own. Chapter 10 runs it side by side with the tokio server in one benchmark.
#
#     python3 asyncio_chat.py                                  # listens on 127.0.0.1:7878; Ctrl-C stops it
#     python3 asyncio_chat.py --addr 127.0.0.1:0               # any free port: the first line says which
#     python3 asyncio_chat.py --max-members 256 --max-line 1024 --queue 64 --trace
#
# Then, in other terminals: `nc 127.0.0.1 7878`, type a name, then lines; `/who` lists, `/quit` leaves.
import argparse
import asyncio
import re
import signal
import sys

WELCOME = b"Welcome! What is your name?\n"
BUSY = b"busy, try again later\n"
UNKNOWN_COMMAND = b"error: unknown command\n"
NOT_UTF8 = b"error: that line is not UTF-8 text; it was not sent\n"
STOPPING = b"* the server is stopping\n"
NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")  # ASCII only: two names that look the same are the same bytes
ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}  # as Rust's {:?}
CLOSE_TIMEOUT = 2.0  # seconds a closing connection may take to flush; one that never reads is then aborted

args = None  # the command line, set in main()
members = []  # the named members, in order of joining (what `* online: ...` lists)
connections = set()  # the tasks serving a connection, named or not: what --max-members bounds
stopping = False


def log(what):
    if args.trace:
        print("[trace]", what, file=sys.stderr, flush=True)


def shown(text):
    # A refused name quoted as the Rust servers quote it (Rust's `{:?}`), so that the lines are the same.
    return '"' + "".join(ESCAPES.get(c) or (c if c.isprintable() else "\\u{%x}" % ord(c)) for c in text) + '"'


class Member:
    def __init__(self, name, writer):
        self.name = name
        self.writer = writer
        # Bounded, so that a member that does not read costs at most QUEUE lines of memory.
        self.queue = asyncio.Queue(maxsize=args.queue)
        self.skipped = 0
        self.sender = asyncio.create_task(send_queued(self))


def offer(member, line):
    # Never waits: the room goes on whatever this member's socket does.
    try:
        if member.skipped:
            member.queue.put_nowait(f"* {member.skipped} messages skipped\n".encode())
            member.skipped = 0
        member.queue.put_nowait(line)
    except asyncio.QueueFull:
        member.skipped += 1


def tell_others(sender, line):
    line = line.encode()  # once, for everyone
    for member in members:
        if member is not sender:
            offer(member, line)


def online():
    return ("* online: " + ", ".join(m.name for m in members) + "\n").encode()


async def send_queued(member):
    # The member's writer task: the only place that waits for the member's socket to take room lines.
    try:
        while True:
            line = await member.queue.get()
            member.writer.write(line)
            await member.writer.drain()  # wait while the transport holds too much: memory stays bounded
    except OSError as err:
        # A failed write ends the membership: closing the transport ends the reading coroutine with EOF.
        log(f"write to {member.name} failed: {err}")
        member.writer.transport.abort()


async def read_text(reader, writer):
    # The next line as text, without its `\n` or `\r\n`; None when the connection is to end: end of
    # stream, or a line over --max-line (answered first). A line that is not UTF-8 is answered and
    # skipped: the member stays. The reader's limit is max_line + 1, so that a `\r` before `\n` fits.
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            return None  # end of stream (a last line without its `\n` is not a line)
        except asyncio.LimitOverrunError:  # no `\n` within the limit: what follows cannot fit either
            line = None
        if line is not None:
            line = line[:-1].removesuffix(b"\r")
        if line is None or len(line) > args.max_line:
            await reply(writer, f"error: line too long (the most is {args.max_line} bytes); "
                                "closing the connection\n".encode())
            return None
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError:
            await reply(writer, NOT_UTF8)


async def reply(writer, line):
    writer.write(line)
    await writer.drain()  # a member that sends commands and never reads the answers waits here


async def choose_name(reader, writer):
    # Reads name lines until one is valid and free: the new Member, or None if the connection ended.
    while True:
        name = await read_text(reader, writer)
        if name is None:
            return None
        if not NAME.fullmatch(name):
            await reply(writer, (f"error: {shown(name)} is not a name: use 1 to 32 letters, digits, - or _ "
                                 "(no spaces); try another\n").encode())
        elif any(m.name == name for m in members):
            await reply(writer, f"error: the name {name} is taken; try another\n".encode())
        else:
            # No `await` from the check to here: nobody can take the name in between, and whoever
            # joins next either hears `* NAME joined` or sees NAME in its online line, never both.
            member = Member(name, writer)
            tell_others(member, f"* {name} joined\n")
            members.append(member)
            await reply(writer, online())
            return member


async def talk(reader, writer, member):
    # The member's lines, until /quit, end of stream or a line over the cap.
    while True:
        text = await read_text(reader, writer)
        if text is None or text == "/quit":
            return
        elif text == "/who":
            await reply(writer, online())
        elif text.startswith("/"):
            await reply(writer, UNKNOWN_COMMAND)
        elif text != "":  # empty lines are ignored
            tell_others(member, f"{member.name}: {text}\n")


async def close(writer):
    # close() flushes what the transport still holds; a peer that never reads could make that last for
    # ever, so it gets CLOSE_TIMEOUT, then the connection is aborted.
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
    except (OSError, TimeoutError):
        writer.transport.abort()


async def handle(reader, writer):
    host, port = writer.get_extra_info("peername")[:2]
    peer = f"{host}:{port}"
    if len(connections) >= args.max_members or stopping:
        log(f"busy {peer}")
        writer.write(BUSY)
        await close(writer)
        return
    log(f"accept {peer}")
    connections.add(asyncio.current_task())
    member = None
    try:
        await reply(writer, WELCOME)
        member = await choose_name(reader, writer)
        if member is not None:
            await talk(reader, writer, member)
    except OSError as err:  # a reset, or a failed write
        log(f"{peer}: {err}")
    except asyncio.CancelledError:
        # The server is stopping (main() cancels every connection). Not raised on: asyncio 3.11 would
        # report a handler that ends cancelled as an error ("Exception in callback ...").
        writer.write(STOPPING)
    finally:
        # However it ended, the member leaves here, and only here: `* NAME left` goes out once.
        connections.discard(asyncio.current_task())
        if member is not None:
            members.remove(member)
            member.sender.cancel()
            tell_others(member, f"* {member.name} left\n")
        await close(writer)
        log(f"close {peer}")


def parse_args():
    def positive(text):
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
        return int(text)

    def address(text):
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or int(port) > 65535:
            raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT, e.g. 127.0.0.1:7878")
        return host.strip("[]"), int(port)  # [::1]:7878 is host ::1

    parser = argparse.ArgumentParser(description="The room of lessons 08 to 10, served with asyncio.")
    parser.add_argument("--addr", type=address, default="127.0.0.1:7878",
                        help="HOST:PORT to listen on (default 127.0.0.1:7878; port 0: any free port)")
    parser.add_argument("--max-members", type=positive, default=256, metavar="N",
                        help="connections served at once; one more gets `busy, try again later`")
    parser.add_argument("--max-line", type=positive, default=1024, metavar="BYTES",
                        help="the longest line, before its newline; a longer one closes the connection")
    parser.add_argument("--queue", type=positive, default=64, metavar="LINES",
                        help="lines that may wait for one member; more are skipped and counted")
    parser.add_argument("--trace", action="store_true", help="say each accept and close on stderr")
    return parser.parse_args()


async def main():
    global args, stopping
    args = parse_args()
    host, port = args.addr
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        # A backlog as big as the room, so that a burst of connections waits instead of being refused.
        server = await asyncio.start_server(handle, host, port, limit=args.max_line + 1,
                                            backlog=max(128, args.max_members))
    except OSError as err:
        print(f"error: listening on {host}:{port}: {err} - is another server using that port?", file=sys.stderr)
        sys.exit(1)
    bound = server.sockets[0].getsockname()
    shown_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    print(f"listening on {shown_host}:{bound[1]}", flush=True)

    await stop.wait()
    log("stop requested: no more accepting")
    stopping = True
    server.close()
    tasks = list(connections)
    for task in tasks:
        task.cancel()  # each says STOPPING, leaves and closes (at most CLOSE_TIMEOUT)
    if tasks:
        await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT + 1)
    await server.wait_closed()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # Ctrl-C before the loop was listening for it
        pass
