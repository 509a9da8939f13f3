#!/usr/bin/env python3
"""Writes the committed seed corpus under corpus/<target>/ (run from crates/core/fuzz).

Each seed starts with the control byte(s) its target reads (see the header comment of each
fuzz_targets/*.rs); the rest is the wire data. Re-running rewrites the same files.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# ---- frame_decoder: [config] [chunking] [limits] stream ----------------------------------------
# config: bit 0 role (0 server, 1 client), bit 1 strict off, bits 2-4 max payload index (7 = 100 MiB)
SERVER, CLIENT, LAX, BIG = 0x00, 0x01, 0x02, 7 << 2
WHOLE, BYTEWISE, RANDOM = 0x00, 0x01, 0x03
LIMITS = 7 | (6 << 3)  # max message u64::MAX, max fragments 2^17


def frame(flags, payload, mask=None):
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = bytes([flags, mask_bit | n])
    elif n <= 0xFFFF:
        head = bytes([flags, mask_bit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([flags, mask_bit | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += bytes(mask)
    return head + payload


def fd(name, config, chunking, stream, limits=LIMITS):
    write("frame_decoder", name, bytes([config | BIG, chunking, limits]) + stream)


M = [0x37, 0xFA, 0x21, 0x3D]  # the mask of RFC 6455 §5.7's examples
# RFC 6455 §5.7, byte for byte.
fd("rfc5.7-text-unmasked", CLIENT, WHOLE, bytes.fromhex("810548656c6c6f"))
fd("rfc5.7-text-masked", SERVER, BYTEWISE, bytes.fromhex("818537fa213d7f9f4d5158"))
fd("rfc5.7-fragmented-text", CLIENT, BYTEWISE, bytes.fromhex("010348656c80026c6f"))
fd("rfc5.7-ping-pong", CLIENT, WHOLE, bytes.fromhex("890548656c6c6f") + bytes.fromhex("8a0548656c6c6f"))
fd("rfc5.7-binary-256", CLIENT, RANDOM, frame(0x82, bytes(range(256))))
# 64 KiB binary header (§5.7's last example) with only the first payload bytes: the NeedMore path.
fd("rfc5.7-binary-64k-truncated", CLIENT, RANDOM, bytes.fromhex("827f0000000000010000") + b"\x00" * 32)
# Masked client traffic: a text message in three fragments, a ping between them, then CLOSE 1000.
fd(
    "client-fragmented-ping-close",
    SERVER,
    RANDOM,
    frame(0x01, "κό".encode(), M)[:] + frame(0x89, b"ping", M) + frame(0x00, "σμ".encode()[:3], M)
    + frame(0x80, "σμε".encode()[3:], M) + frame(0x88, struct.pack(">H", 1000) + b"bye", M),
)
fd("close-1001-reason", CLIENT, WHOLE, frame(0x88, struct.pack(">H", 1001) + "going away".encode()))
fd("close-4000-masked", SERVER, BYTEWISE, frame(0x88, struct.pack(">H", 4000) + b"app", [1, 2, 3, 4]))
# Things strict mode rejects.
fd("close-reserved-1005", CLIENT, WHOLE, frame(0x88, struct.pack(">H", 1005)))
fd("close-1-byte", CLIENT, WHOLE, frame(0x88, b"\x03"))
fd("text-invalid-utf8-split", SERVER, BYTEWISE, frame(0x81, b"ok\xed\xa0\x80", M))
fd("reserved-opcode-rsv1", CLIENT, WHOLE, frame(0x83, b"x") + frame(0xC1, b"y"))
fd("continuation-without-start", CLIENT, WHOLE, frame(0x80, b"zz"))
fd("ping-126-bytes", CLIENT, WHOLE, frame(0x89, b"p" * 126))
fd("unmasked-to-server", SERVER, WHOLE, frame(0x82, b"abc"))
# Strict off: Poco's raw frames, reserved opcodes and all; then a non-minimal length encoding.
fd("lax-raw-frames", SERVER | LAX, RANDOM, frame(0x7B, b"raw") + bytes.fromhex("827e0003") + b"abc")
# Over a small max payload (index 3 = 125 bytes).
write("frame_decoder", "payload-too-big", bytes([CLIENT | (3 << 2), WHOLE, LIMITS]) + frame(0x82, b"q" * 200))
# Tight message limits: max message 126 bytes, max fragments 2.
fd("message-limits", CLIENT, RANDOM, frame(0x02, b"a" * 100) + frame(0x00, b"b" * 20) + frame(0x80, b"c"), 3 | (2 << 3))

# ---- utf8_stream: [split] bytes ------------------------------------------------------------------
U = lambda name, split, data: write("utf8_stream", name, bytes([split]) + data)
U("valid-kosme", 0x01, "κόσμε".encode())
U("valid-mixed-4byte", 0x03, "ascii, ä, €, 𝄞, 😀 and U+10FFFF ".encode() + b"\xf4\x8f\xbf\xbf")
U("overlong-slash-2", 0x01, b"a\xc0\xaf")
U("overlong-slash-3", 0x07, b"ab\xe0\x80\xaf")
U("overlong-slash-4", 0x03, b"\xf0\x80\x80\xaf")
U("surrogate-high", 0x01, b"x\xed\xa0\x80y")
U("surrogate-pair", 0x0B, b"\xed\xa0\x80\xed\xb0\x80")
U("beyond-10ffff", 0x01, b"\xf4\x90\x80\x80")
U("truncated-at-end", 0x03, "€".encode()[:2])
U("lone-continuation-fe-ff", 0x00, b"\x80 \xfe\xff")

# ---- http_head: [control] head bytes -------------------------------------------------------------
# 0xff: 16 KiB, 100 fields, 1024-byte reads. 0x1f: the same in 1-byte reads. 0x2b: 128 bytes, 1 field, 2-byte reads.
H = lambda name, control, text: write("http_head", name, bytes([control]) + text)
UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)
H("rfc6455-upgrade-request", 0xFF, UPGRADE)
H("upgrade-request-trickled", 0x1F, UPGRADE)
H(
    "upgrade-keep-alive-token",
    0xFF,
    b"GET /ws?x=1 HTTP/1.1\nhost: [::1]:8080\nconnection: keep-alive, Upgrade\nupgrade: WebSocket\n"
    b"sec-websocket-version: 13\nsec-websocket-key:   abc  \n\n\x81\x85\x37\xfa\x21\x3d\x7f",
)
H("upgrade-bad-version", 0xFF, b"GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 8\r\n\r\n")
H(
    "response-101",
    0xFF,
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
)
H(
    "response-401-basic-digest",
    0xFF,
    b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"poco\"\r\n"
    b"WWW-Authenticate: Digest realm=\"a\\\"b\", qop=\"auth,auth-int\", nonce=\"n0nc3\", "
    b"opaque=\"xyz\", algorithm=SHA-256-sess\r\nContent-Length: 0\r\n\r\n",
)
H("response-401-digest-md5", 0xFF, b"HTTP/1.0 401 \r\nwww-authenticate: digest nonce=abc,realm=r\r\n\r\n")
H("response-200-obs-text", 0xFF, b"HTTP/1.1 200 OK\xff\r\nX-Name: caf\xc3\xa9 \xff\r\n\r\n")
H("request-too-many-fields", 0x2B, b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n")
