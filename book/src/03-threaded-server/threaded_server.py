#!/usr/bin/env python3
"""Lesson 03's server in Python, a thread per client as the Python tutorials write it: compare.sh loads both.

`Welcome`, then `Hello, X!` per line X until `exit`; `who` answers `online: N, served: M`; a client over
--max-clients gets `busy, try again later` and is closed. Standard library only; IPv4 only.
"""
import argparse
import socket
import socketserver
import sys
import threading

MAX_LINE = 8192  # bytes before the newline, as in the Rust server: a client cannot make us hold more
IDLE_TIMEOUT = 60  # seconds of silence before a client is dropped

lock = threading.Lock()  # guards the two counters: `+=` is not atomic across threads
online = 0
served = 0


class Greeter(socketserver.StreamRequestHandler):
    timeout = IDLE_TIMEOUT  # socketserver sets it on the socket: a read waits at most this long

    def handle(self):  # runs on a thread of its own, one per connection
        global online, served
        with lock:
            if online >= self.server.max_clients:
                self.wfile.write(b"busy, try again later\n")
                return  # socketserver closes the connection after handle()
            online += 1
            served += 1
        try:
            self.wfile.write(b"Welcome\n")
            self.greet_until_exit()
        except socket.timeout:
            self.say_and_close(f"error: idle for {IDLE_TIMEOUT}s, closing the connection\n")
        except OSError:
            pass  # a reset or a broken pipe ends this client only
        finally:
            with lock:
                online -= 1

    def greet_until_exit(self):
        while True:
            # At most MAX_LINE bytes and the newline: one byte more proves the line is too long.
            line = self.rfile.readline(MAX_LINE + 1)
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                return self.say_and_close(f"error: line too long (max {MAX_LINE} bytes)\n")
            if not line.endswith(b"\n"):
                return  # end of stream, maybe in the middle of a line: the client is gone
            try:
                text = line.rstrip(b"\n").removesuffix(b"\r").decode("utf-8")
            except UnicodeDecodeError:
                self.wfile.write(b"error: line is not UTF-8\n")
                continue
            if text == "exit":
                return
            if text == "who":
                with lock:
                    reply = f"online: {online}, served: {served}\n"
            else:
                reply = f"Hello, {text}!\n"
            self.wfile.write(reply.encode())  # wfile is unbuffered: one sendall per reply

    def say_and_close(self, last_line):
        # Closing with unread bytes would send a reset that destroys our last line: FIN first, then read
        # and discard what the client still sends (at most 64 KiB, 1 s), as lesson 02's close_politely.
        try:
            self.wfile.write(last_line.encode())
            self.request.shutdown(socket.SHUT_WR)
            self.request.settimeout(1)
            for _ in range(16):  # 16 reads of 4 KiB
                if not self.request.recv(4096):
                    break
        except OSError:
            pass  # the client is gone already, or took too long: close anyway


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # SO_REUSEADDR, as Rust's std sets it: a restart can bind at once
    daemon_threads = True  # Ctrl-C does not wait for connected clients
    request_queue_size = 128  # listen(128) at least (socketserver's default of 5 drops handshakes); main()
    # sizes it to --max-clients, as lesson 03 sizes its backlog, so that a burst of clients fits in it


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:7878", help="IP:PORT to listen on (port 0: any)")
    parser.add_argument("--max-clients", type=int, default=256, help="clients served at once")
    args = parser.parse_args()
    host, _, port = args.addr.rpartition(":")
    if not port.isdigit():
        parser.error(f"--addr {args.addr}: write IP:PORT, like 127.0.0.1:7878")  # exit status 2
    # The kernel cuts a bigger backlog down to its limit (net.core.somaxconn) without a word.
    Server.request_queue_size = max(Server.request_queue_size, args.max_clients)
    try:
        server = Server((host, int(port)), Greeter)
    except OSError as err:
        sys.exit(f"binding {args.addr}: {err}")  # exit status 1
    with server:
        server.max_clients = args.max_clients
        host, port = server.server_address
        print(f"listening on {host}:{port}", flush=True)  # a pipe is block-buffered: flush
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass  # Ctrl-C: leave the `with`, which closes the listening socket


if __name__ == "__main__":
    main()
