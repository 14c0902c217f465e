"""Hostile uploads, sent over HTTP on both routes in (a resident's report and a member of staff
adding a document to a case): each is refused with a message saying why, or made harmless
(photos drawn again from their pixels, PDFs cut at their end, names given the real type's
extension). Then the virus scanner: a real clamd finding the EICAR test file, and what happens
while the scanner cannot be reached."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from civicdesk.cases.attachments import held_documents_recheck
from civicdesk.cases.choices import VirusCheck
from civicdesk.cases.documents import MAX_NAME_CHARACTERS
from civicdesk.cases.lifecycle import CaseRequest, case_open
from civicdesk.cases.models import Attachment, Case
from civicdesk.core.audit import Actor
from civicdesk.organisations.choices import Role

from . import factories
from .clamav import EICAR, clamd_socket  # noqa: F401 (a fixture)
from .report_setup import Councils, councils
from .sample_files import JPEG, PDF, PNG, jpeg_bytes, pdf_bytes, png_claiming_size

pytestmark = pytest.mark.django_db

POTHOLE = "/wrekin/report/pothole"
NOT_A_TYPE = "The selected file must be a PDF, JPG or PNG"
UNREADABLE_IMAGE = "The selected file could not be read. It may be damaged"
UNREADABLE_PDF = "The selected file could not be read as a PDF. It may be damaged"
SCRIPT = "The selected PDF contains a script, which we do not accept"
ACTIVE = "The selected PDF tries to run or open something, which we do not accept"
EMBEDDED = "The selected PDF has other files inside it, which we do not accept"
TOO_MANY_PIXELS = "The selected image is too large"
VIRUS = "The selected file contains a virus"


@dataclass(frozen=True)
class Stored:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Hostile:
    label: str
    name: str
    content: bytes
    refused: str = ""
    check: Callable[[Stored], None] | None = field(default=None, compare=False)


# Files and what must become of them


def _pixels_only(kind: str, *absent: bytes) -> Callable[[Stored], None]:
    def check(stored: Stored) -> None:
        assert stored.content_type == f"image/{kind}"
        for text in absent:
            assert text not in stored.content
        with Image.open(io.BytesIO(stored.content)) as image:
            assert image.format == kind.upper()
            assert not image.getexif()
            assert not {"comment", "exif", "xmp", "icc_profile"} & set(image.info)
            assert not getattr(image, "text", {})

    return check


def _named(expected: str, kind: str) -> Callable[[Stored], None]:
    def check(stored: Stored) -> None:
        assert stored.name == expected
        assert stored.content_type == kind

    return check


def _pdf_ending_at_its_end(stored: Stored) -> None:
    assert stored.content_type == "application/pdf"
    assert stored.content.rstrip().endswith(b"%%EOF")
    assert b"<script" not in stored.content


def _clean_name(stored: Stored) -> None:
    assert stored.name.endswith(".jpg")
    assert not re.search(r"[\x00-\x1f\u202a-\u202e\u2066-\u2069]", stored.name)


def _short_name(stored: Stored) -> None:
    assert len(stored.name) <= MAX_NAME_CHARACTERS and stored.name.endswith(".png")


def _jpeg_with_gps_and_comment() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 42.0, 7.5)
    return jpeg_bytes(exif=exif, comment=b"<html><script>alert(1)</script></html>")


def _png_with_php_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<?php system($_GET['c']); ?>")
    output = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(output, format="PNG", pnginfo=info)
    return output.getvalue()


def _jpeg_claiming_size(width: int, height: int) -> bytes:
    content = bytearray(jpeg_bytes())
    frame = content.index(b"\xff\xc0")
    content[frame + 5 : frame + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(content)


def _truncated_jpeg() -> bytes:
    noisy = io.BytesIO()
    Image.effect_noise((96, 96), 60).convert("RGB").save(noisy, format="JPEG", quality=95)
    return noisy.getvalue()[:1500]


def _pypdf_made(change: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(PDF))
    change(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _encrypted(writer: PdfWriter) -> None:
    writer.encrypt("secret", algorithm="RC4-128")


HOSTILE = [
    Hostile(
        "jpeg-that-is-html",
        "photo.jpg",
        JPEG + b"<html><script>alert(1)</script>",
        check=_pixels_only("jpeg", b"<script"),
    ),
    Hostile(
        "jpeg-with-gps-and-html-comment",
        "garden.jpg",
        _jpeg_with_gps_and_comment(),
        check=_pixels_only("jpeg", b"<script", b"Exif", b"Phone"),
    ),
    Hostile(
        "png-followed-by-php",
        "bin.png",
        PNG + b"<?php system($_GET['c']); ?>",
        check=_pixels_only("png", b"<?php"),
    ),
    Hostile(
        "png-with-php-in-a-text-chunk",
        "bin.png",
        _png_with_php_text(),
        check=_pixels_only("png", b"<?php", b"tEXt"),
    ),
    Hostile(
        "png-decompression-bomb",
        "bomb.png",
        png_claiming_size(100_000, 100_000),
        refused=TOO_MANY_PIXELS,
    ),
    Hostile(
        "png-just-over-the-pixel-limit",
        "big.png",
        png_claiming_size(10_000, 5_001),
        refused=TOO_MANY_PIXELS,
    ),
    Hostile(
        "jpeg-decompression-bomb",
        "bomb.jpg",
        _jpeg_claiming_size(65_000, 65_000),
        refused=TOO_MANY_PIXELS,
    ),
    Hostile("truncated-jpeg", "cut.jpg", _truncated_jpeg(), refused=UNREADABLE_IMAGE),
    Hostile(
        "png-signature-then-rubbish",
        "fake.png",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        refused=UNREADABLE_IMAGE,
    ),
    Hostile(
        "pdf-openaction-javascript",
        "letter.pdf",
        pdf_bytes(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-document-javascript",
        "letter.pdf",
        pdf_bytes(
            b"<< /Names [(a) 6 0 R] >>",
            b"<< /S /JavaScript /JS (app.alert(1)) >>",
            catalog=b"/Names << /JavaScript 5 0 R >>",
        ),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-javascript-made-by-pypdf",
        "letter.pdf",
        _pypdf_made(lambda writer: writer.add_open_action(JavaScript("app.alert('hi');"))),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-javascript-name-hex-escaped",
        "letter.pdf",
        pdf_bytes(catalog=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-action-type-by-reference",
        "letter.pdf",
        pdf_bytes(b"/JavaScript", catalog=b"/OpenAction << /S 5 0 R >>"),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-page-opened-runs-javascript",
        "letter.pdf",
        pdf_bytes(page=b"/AA << /O << /S /JavaScript /JS (app.alert(1)) >> >>"),
        refused=SCRIPT,
    ),
    Hostile(
        "pdf-launch-action",
        "letter.pdf",
        pdf_bytes(catalog=b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        refused=ACTIVE,
    ),
    Hostile(
        "pdf-opens-an-address-by-itself",
        "letter.pdf",
        pdf_bytes(page=b"/AA << /O << /S /URI /URI (https://evil.example/) >> >>"),
        refused=ACTIVE,
    ),
    Hostile(
        "pdf-xfa-form",
        "form.pdf",
        pdf_bytes(
            b"<< /Length 0 >>\nstream\n\nendstream",
            catalog=b"/AcroForm << /Fields [] /XFA 5 0 R >>",
        ),
        refused=ACTIVE,
    ),
    Hostile(
        "pdf-embedded-file",
        "letter.pdf",
        _pypdf_made(lambda writer: writer.add_attachment("run.exe", b"MZ\x90\x00")),
        refused=EMBEDDED,
    ),
    Hostile(
        "pdf-file-attachment-annotation",
        "letter.pdf",
        pdf_bytes(page=b"/Annots [<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] >>]"),
        refused=EMBEDDED,
    ),
    Hostile(
        "pdf-with-a-password",
        "letter.pdf",
        _pypdf_made(_encrypted),
        refused="The selected PDF is protected with a password",
    ),
    Hostile(
        "eicar-behind-a-pdf-header", "letter.pdf", b"%PDF-1.4\n" + EICAR, refused=UNREADABLE_PDF
    ),
    Hostile(
        "pdf-followed-by-html",
        "letter.pdf",
        PDF + b"<html><script>alert(1)</script>",
        check=_pdf_ending_at_its_end,
    ),
    Hostile(
        "windows-program-called-a-photo",
        "photo.jpg",
        b"MZ\x90\x00\x03" + b"\0" * 60,
        refused=NOT_A_TYPE,
    ),
    Hostile(
        "html-page",
        "x.html",
        b"<html><script>alert(document.cookie)</script></html>",
        refused=NOT_A_TYPE,
    ),
    Hostile(
        "svg-with-script",
        "map.png",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        refused=NOT_A_TYPE,
    ),
    Hostile(
        "gif-called-a-png", "anim.png", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", refused=NOT_A_TYPE
    ),
    Hostile("zip-called-a-pdf", "letter.pdf", b"PK\x03\x04" + b"\0" * 60, refused=NOT_A_TYPE),
    Hostile("empty-file", "nothing.png", b"", refused="The selected file is empty"),
    Hostile(
        "too-big",
        "huge.png",
        PNG + b"\0" * (10 * 1024 * 1024),
        refused="The selected file must be smaller than 10MB",
    ),
    Hostile(
        "jpeg-named-as-a-program", "photo.jpg.exe", JPEG, check=_named("photo.jpg", "image/jpeg")
    ),
    Hostile("png-named-as-a-web-page", "x.html", PNG, check=_named("x.png", "image/png")),
    Hostile(
        "pdf-named-as-a-png", "statement.png", PDF, check=_named("statement.pdf", "application/pdf")
    ),
    Hostile("name-reversed-by-a-direction-mark", "invoice\u202egpj.exe", JPEG, check=_clean_name),
    Hostile("name-of-250-characters", "a" * 246 + ".png", PNG, check=_short_name),
]


# The two routes in


def text(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def resident_upload(client: Client, hostile: Hostile) -> Stored | str:
    """The report journey with ``hostile`` as the photo: the stored document, or the page's
    error message."""
    client.get(f"{POTHOLE}/")
    client.post(f"{POTHOLE}/question/where/", {"where-description": "Outside number 4"})
    client.post(f"{POTHOLE}/question/depth/", {"depth": "8"})
    client.post(
        f"{POTHOLE}/question/noticed/",
        {"noticed-day": "3", "noticed-month": "11", "noticed-year": "2025"},
    )
    upload = SimpleUploadedFile(hostile.name, hostile.content, "application/octet-stream")
    response = client.post(f"{POTHOLE}/question/photo/", {"photo": upload})
    if response.status_code != 302:
        assert response.status_code == 400
        return _error_summary(response)
    check = client.post(f"{POTHOLE}/your-details/", {"anonymous": "1"}, follow=True)
    token = re.search(r'name="token" value="([^"]+)"', check.content.decode()).group(1)
    assert client.post(f"{POTHOLE}/check/", {"token": token}).status_code == 302
    return _stored(Attachment.objects.get())


def staff_upload(client: Client, case: Case, hostile: Hostile) -> Stored | str:
    upload = SimpleUploadedFile(hostile.name, hostile.content, "application/octet-stream")
    case.refresh_from_db()
    response = client.post(
        f"/staff/cases/{case.reference}/attach/",
        {"version": case.version, "file": upload, "public": "yes"},
    )
    if response.status_code != 302:
        assert response.status_code == 400
        return _error_summary(response)
    return _stored(Attachment.objects.filter(case=case).latest("pk"))


def _error_summary(response) -> str:
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', text(response))
    assert summary, "a refused upload is explained in the error summary"
    return summary.group(1)


def _stored(attachment: Attachment) -> Stored:
    with attachment.file.open("rb") as handle:
        content = handle.read()
    assert re.fullmatch(r"[0-9a-f]{32}\.(jpg|png|pdf)", attachment.file.name.rsplit("/", 1)[1])
    assert attachment.file.name.endswith(
        {"image/jpeg": ".jpg", "image/png": ".png"}.get(attachment.content_type, ".pdf")
    )
    return Stored(attachment.original_name, attachment.content_type, content)


@pytest.fixture
def places() -> Councils:
    return councils()


@pytest.fixture
def staff_case(places, staff_client) -> tuple[Client, Case]:
    """A member of staff signed in, and a case of their council's to add documents to."""
    officer = factories.StaffFactory(
        organisation=places.wrekin, role=Role.OFFICER, teams=[places.missed_bin.service_area.team]
    )
    case = case_open(
        organisation=places.wrekin,
        request=CaseRequest(
            request_type_key="missed-bin", channel="phone", answers={"bin": "Recycling"}
        ),
        actor=Actor.for_user(officer.user),
    )
    return staff_client(officer), case


def _judge(outcome: Stored | str, hostile: Hostile) -> None:
    if hostile.refused:
        assert isinstance(outcome, str), f"{hostile.label} was accepted"
        assert hostile.refused in outcome
    else:
        assert isinstance(outcome, Stored), f"{hostile.label} was refused: {outcome}"
        assert hostile.check is not None
        hostile.check(outcome)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[hostile.label for hostile in HOSTILE])
def test_a_resident_reporting_a_problem_cannot_store_a_hostile_file(client, places, hostile):
    _judge(resident_upload(client, hostile), hostile)


@pytest.mark.parametrize("hostile", HOSTILE, ids=[hostile.label for hostile in HOSTILE])
def test_staff_adding_a_document_to_a_case_cannot_store_a_hostile_file(staff_case, hostile):
    client, case = staff_case
    _judge(staff_upload(client, case, hostile), hostile)
    if hostile.refused:
        assert not Attachment.objects.exists()


def test_an_ordinary_photo_and_letter_are_kept_and_still_open():
    from civicdesk.cases.documents import Upload, document_check

    photo = document_check(Upload("hole.jpg", jpeg_bytes(size=(64, 48))))
    with Image.open(io.BytesIO(photo.content)) as image:
        assert image.size == (64, 48) and image.format == "JPEG"
    letter = document_check(Upload("letter.pdf", PDF))
    assert letter.content.startswith(b"%PDF-1.7") and letter.original_name == "letter.pdf"
    see_through = Image.new("RGBA", (4, 4), (10, 20, 30, 0))
    output = io.BytesIO()
    see_through.save(output, format="PNG")
    kept = document_check(Upload("overlay.png", output.getvalue()))
    with Image.open(io.BytesIO(kept.content)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0)) == (10, 20, 30, 0)


# A file name too long for the form to be read at all


def _multipart(field_name: str, file_name: str, content: bytes, **fields: str) -> bytes:
    boundary = "civicdesk-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{file_name}"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_a_thousand_character_file_name_is_explained_on_both_routes(client, staff_case):
    long_name = "a" * 1000 + ".png"
    resident = client.post(
        f"{POTHOLE}/question/photo/",
        data=_multipart("photo", long_name, PNG),
        content_type="multipart/form-data; boundary=civicdesk-boundary",
        HTTP_REFERER=f"http://testserver{POTHOLE}/question/photo/",
    )
    staff_client, case = staff_case
    staff = staff_client.post(
        f"/staff/cases/{case.reference}/attach/",
        data=_multipart("file", long_name, PNG, version=str(case.version)),
        content_type="multipart/form-data; boundary=civicdesk-boundary",
    )
    for response in (resident, staff):
        assert response.status_code == 400
        page = text(response)
        assert "Bad Request" not in page
        assert "its name is too long. Rename the file with a shorter name" in page
        assert "govuk-error-summary" in page
    assert f'href="http://testserver{POTHOLE}/question/photo/"' in resident.content.decode()
    assert not Attachment.objects.exists()


# The virus scanner


def _eicar_pdf() -> bytes:
    return pdf_bytes(comment=b"%" + EICAR)


def test_a_real_clamd_refuses_the_eicar_test_file_on_both_routes(
    clamd_socket,  # noqa: F811
    settings,
    client,
    staff_case,
):
    settings.CLAMD_SOCKET = clamd_socket
    eicar = Hostile("eicar-in-a-readable-pdf", "letter.pdf", _eicar_pdf(), refused=VIRUS)
    _judge(resident_upload(client, eicar), eicar)
    staff_client, case = staff_case
    _judge(staff_upload(staff_client, case, eicar), eicar)
    clean = Hostile("clean", "bin.png", PNG, check=_named("bin.png", "image/png"))
    _judge(staff_upload(staff_client, case, clean), clean)
    assert Attachment.objects.get().virus_check == VirusCheck.CLEAN


def test_held_documents_are_released_or_removed_when_clamd_comes_back(
    clamd_socket,  # noqa: F811
    settings,
    staff_case,
    django_capture_on_commit_callbacks,
):
    staff_client, case = staff_case
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    _judge(staff_upload(staff_client, case, Hostile("x", "bin.png", PNG, check=_any)), _ANY)
    staff_upload(staff_client, case, Hostile("y", "letter.pdf", _eicar_pdf(), check=_any))
    held = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [document.virus_check for document in held] == [VirusCheck.HELD, VirusCheck.HELD]
    settings.CLAMD_SOCKET = clamd_socket
    with django_capture_on_commit_callbacks(execute=True):
        assert held_documents_recheck() == 2
    photo, letter = (Attachment.objects.get(pk=document.pk) for document in held)
    assert photo.virus_check == VirusCheck.CLEAN
    assert letter.virus_check == VirusCheck.INFECTED
    assert not default_storage.exists(letter.file.name)
    page = text(staff_client.get(f"/staff/cases/{case.reference}/"))
    assert "Removed: the virus scanner found a virus" in page
    assert (
        staff_client.get(f"/staff/cases/{case.reference}/documents/{photo.pk}/").status_code == 200
    )


def _any(stored: Stored) -> None:
    assert stored.content


_ANY = Hostile("any", "bin.png", PNG, check=_any)


def test_while_the_scanner_is_down_uploads_are_held_for_staff_never_passed(settings, staff_case):
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    settings.CLAMD_WHEN_DOWN = "hold"
    staff_client, case = staff_case
    _judge(staff_upload(staff_client, case, _ANY), _ANY)
    document = Attachment.objects.get()
    assert document.virus_check == VirusCheck.HELD and document.public
    page = text(staff_client.get(f"/staff/cases/{case.reference}/"))
    assert "Held until the virus scanner can check it" in page
    url = f"/staff/cases/{case.reference}/documents/{document.pk}/"
    assert url not in page
    assert staff_client.get(url).status_code == 404
    from civicdesk.cases.selectors import public_documents

    assert list(public_documents(case)) == []
    assert held_documents_recheck() == 0
    assert Attachment.objects.get().virus_check == VirusCheck.HELD


def test_while_the_scanner_is_down_uploads_can_be_refused_instead(settings, client, places):
    settings.CLAMD_SOCKET = "/nonexistent/clamd.sock"
    settings.CLAMD_WHEN_DOWN = "refuse"
    refused = resident_upload(client, Hostile("any", "bin.png", PNG, refused="x"))
    assert isinstance(refused, str)
    assert "could not be checked for viruses just now. Try again in a few minutes" in refused
