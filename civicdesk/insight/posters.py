"""The poster staff print for a survey at a place: the question in large type, the QR code,
how to answer and the address for anyone who cannot scan it. SVG for screens and printers
that take it, PDF (A4, text as text, with a title) for everyone else."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

import segno

from civicdesk.feedback.models import MicroSurvey

A4_WIDTH, A4_HEIGHT = 595, 842  # points
MARGIN = 56
QR_SIZE = 340
QR_QUIET_ZONE = 4  # modules of white the QR standard asks for around the code
QUESTION_POINTS = 26
QUESTION_CHARACTERS = 34  # a line of the question in bold at that size fits the page
HOW_TO = "Point your phone camera at the code. It takes less than a minute."
NO_SIGN_IN = "You do not need to sign in or give your name."


@dataclass(frozen=True)
class Poster:
    title: str
    question: str
    address: str
    modules: list[list[bool]]  # the QR code, dark modules True, without its quiet zone

    @property
    def question_lines(self) -> list[str]:
        return textwrap.wrap(self.question, QUESTION_CHARACTERS)

    @property
    def qr_top(self) -> float:
        """How far down the page the code starts, below however many lines the question took."""
        return MARGIN + QUESTION_POINTS * 1.3 * len(self.question_lines) + 24

    @property
    def lines(self) -> list[tuple[str, int]]:
        """The text below the code, each with its size in points."""
        return [(HOW_TO, 16), (NO_SIGN_IN, 16), ("Or type this address:", 14), (self.address, 12)]


def poster_of(survey: MicroSurvey, address: str) -> Poster:
    code = segno.make(address, error="m")
    return Poster(
        title=f"Survey at {survey.place}",
        question=survey.question,
        address=address,
        modules=[[bool(cell) for cell in row] for row in code.matrix],
    )


def _dark_runs(modules: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Each row's runs of dark modules as (row, first column, length): fewer shapes to draw."""
    runs = []
    for row, cells in enumerate(modules):
        column = 0
        while column < len(cells):
            if cells[column]:
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                runs.append((row, start, column - start))
            else:
                column += 1
    return runs


def _module_size(poster: Poster) -> float:
    return QR_SIZE / (len(poster.modules) + 2 * QR_QUIET_ZONE)


def poster_svg(poster: Poster) -> bytes:
    size = _module_size(poster)
    left = (A4_WIDTH - QR_SIZE) / 2 + QR_QUIET_ZONE * size
    top = poster.qr_top + QR_QUIET_ZONE * size
    path = "".join(
        f"M{left + column * size:.2f} {top + row * size:.2f}h{length * size:.2f}v{size:.2f}"
        f"h{-length * size:.2f}z"
        for row, column, length in _dark_runs(poster.modules)
    )
    text_y = poster.qr_top + QR_SIZE + 40
    lines = []
    for text, points in poster.lines:
        lines.append(
            f'<text x="{A4_WIDTH / 2}" y="{text_y}" font-size="{points}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
        text_y += points * 2
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {A4_WIDTH} {A4_HEIGHT}" '
        f'width="210mm" height="297mm" role="img" aria-labelledby="poster-title poster-desc" '
        f'font-family="Arial, Helvetica, sans-serif" lang="en-GB">'
        f'<title id="poster-title">{escape(poster.title)}</title>'
        f'<desc id="poster-desc">{escape(poster.question)} A QR code to scan with a phone '
        f"camera, which opens {escape(poster.address)}</desc>"
        f'<rect width="100%" height="100%" fill="#fff"/>'
        + "".join(
            f'<text x="{A4_WIDTH / 2}" y="{MARGIN + QUESTION_POINTS * 1.3 * (index + 1):.1f}" '
            f'font-size="{QUESTION_POINTS}" font-weight="bold" text-anchor="middle">'
            f"{escape(line)}</text>"
            for index, line in enumerate(poster.question_lines)
        )
        + f'<path fill="#000" d="{path}"/>'
        + "".join(lines)
        + "</svg>"
    )
    return svg.encode()


def _pdf_text(text: str) -> str:
    """Text for a PDF string in the standard Latin-1 fonts, with its specials escaped."""
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _centred(text: str, points: int, y: float, font: str) -> str:
    # Helvetica's characters are about half their size wide: close enough to centre a line.
    width = 0.5 * points * len(text)
    x = max(MARGIN / 2, (A4_WIDTH - width) / 2)
    return f"BT /{font} {points} Tf {x:.1f} {y:.1f} Td ({_pdf_text(text)}) Tj ET\n"


def poster_pdf(poster: Poster) -> bytes:
    """A one-page A4 PDF, written by hand: fonts are the standard Helvetica pair, so nothing
    is embedded, and the title is in the document information for screen readers."""
    size = _module_size(poster)
    left = (A4_WIDTH - QR_SIZE) / 2 + QR_QUIET_ZONE * size
    top = A4_HEIGHT - poster.qr_top - QR_QUIET_ZONE * size
    content = "".join(
        _centred(line, QUESTION_POINTS, A4_HEIGHT - MARGIN - QUESTION_POINTS * 1.3 * (i + 1), "F2")
        for i, line in enumerate(poster.question_lines)
    )
    content += "0 g\n" + "".join(
        f"{left + column * size:.2f} {top - (row + 1) * size:.2f} {length * size:.2f} "
        f"{size:.2f} re\n"
        for row, column, length in _dark_runs(poster.modules)
    )
    content += "f\n"
    y = A4_HEIGHT - poster.qr_top - QR_SIZE - 40
    for text, points in poster.lines:
        content += _centred(text, points, y, "F1")
        y -= points * 2
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (en-GB) "
        b"/ViewerPreferences << /DisplayDocTitle true >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4_WIDTH} {A4_HEIGHT}] "
        f"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>".encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_pdf_text(poster.title)}) /Subject ({_pdf_text(poster.question)}) >>".encode(
            "latin-1"
        ),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        len(objects),
    )
    out += b"startxref\n%d\n%%%%EOF\n" % table
    return bytes(out)
