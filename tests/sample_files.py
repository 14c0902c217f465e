"""Small real files for upload tests: a PNG, a JPG and a PDF that the upload checks accept, and
a PDF builder for the hostile ones (each object given as its dictionary's text)."""

from __future__ import annotations

import io
import zlib

from PIL import Image


def png_bytes(size: tuple[int, int] = (8, 8), colour: tuple[int, ...] = (200, 60, 30)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, format="PNG")
    return output.getvalue()


def jpeg_bytes(size: tuple[int, int] = (16, 16), **save_options: object) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(output, format="JPEG", **save_options)
    return output.getvalue()


def pdf_bytes(
    *extra_objects: bytes, catalog: bytes = b"", page: bytes = b"", comment: bytes = b""
) -> bytes:
    """A one-page PDF with correct cross-references. ``catalog`` and ``page`` are added inside
    those dictionaries; ``extra_objects`` are objects 5 onwards (4 is the page's content)."""
    content = b"BT /F1 12 Tf 20 100 Td (A letter) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R " + page + b" >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        *extra_objects,
    ]
    output = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + (comment + b"\n" if comment else b""))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        start,
    )
    return bytes(output)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` by ``height`` pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([1, 0, 0, 0, 0])
    pixels = zlib.compress(b"\0" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = png_bytes()
JPEG = jpeg_bytes()
PDF = pdf_bytes()
