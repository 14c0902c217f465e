"""The poster staff print for a survey at a place: the question in large type, the QR code,
how to answer and the address for anyone who cannot scan it. SVG for screens and printers
that take it, PDF (A4, text as text in an embedded font, with a title) for everyone else."""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from fpdf import FPDF, ViewerPreferences

from civicdesk.feedback.models import MicroSurvey

A4_WIDTH, A4_HEIGHT = 595, 842  # points
MARGIN = 56
QR_SIZE = 340
QR_QUIET_ZONE = 4  # modules of white the QR standard asks for around the code
QUESTION_POINTS = 26
QUESTION_CHARACTERS = 34  # a line of the question in bold at that size fits the page
HOW_TO = "Point your phone camera at the code. It takes less than a minute."
NO_SIGN_IN = "You do not need to sign in or give your name."
# DejaVu Sans ships with the code (licence beside it) so that no server needs fonts installed.
FONTS = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVuSans"
# fpdf2 cuts the fonts down to the letters used with fontTools, which logs each step at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)


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


def poster_pdf(poster: Poster) -> bytes:
    """A one-page A4 PDF laid out like the SVG, text as text in DejaVu Sans (embedded, so
    Welsh letters such as ŵ and ŷ print), and the title in the document information for
    screen readers."""
    pdf = _a4_document(title=poster.title, subject=poster.question)
    for index, line in enumerate(poster.question_lines):
        baseline = MARGIN + QUESTION_POINTS * 1.3 * (index + 1)
        _centred(pdf, text=line, points=QUESTION_POINTS, baseline=baseline, style="B")
    _draw_code(pdf, poster=poster)
    baseline = poster.qr_top + QR_SIZE + 40
    for text, points in poster.lines:
        _centred(pdf, text=text, points=points, baseline=baseline, style="")
        baseline += points * 2
    return bytes(pdf.output())


def _a4_document(*, title: str, subject: str) -> FPDF:
    """An empty A4 page measured in points from the top left, as the SVG is, with the fonts."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_title(title)
    pdf.set_subject(subject)
    pdf.set_lang("en-GB")
    pdf.viewer_preferences = ViewerPreferences(display_doc_title=True)
    pdf.add_font(FONT_FAMILY, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT_FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    return pdf


def _draw_code(pdf: FPDF, *, poster: Poster) -> None:
    size = _module_size(poster)
    left = (A4_WIDTH - QR_SIZE) / 2 + QR_QUIET_ZONE * size
    top = poster.qr_top + QR_QUIET_ZONE * size
    pdf.set_fill_color(0)
    for row, column, length in _dark_runs(poster.modules):
        pdf.rect(left + column * size, top + row * size, length * size, size, style="F")


def _centred(pdf: FPDF, *, text: str, points: int, baseline: float, style: str) -> None:
    """One line centred on the page, made smaller if it would not fit between the margins."""
    pdf.set_font(FONT_FAMILY, style, points)
    width = pdf.get_string_width(text)
    if width > A4_WIDTH - 2 * MARGIN:
        pdf.set_font_size(points * (A4_WIDTH - 2 * MARGIN) / width)
        width = pdf.get_string_width(text)
    pdf.text(x=(A4_WIDTH - width) / 2, y=baseline, text=text)
