"""Attachments from residents (form and e-mail): at most 3 files of 10 MB, PDF, JPG, PNG or Word.

The type is decided by the bytes, not by the name: a renamed .exe is not a PDF.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

MAX_FILES = 3
MAX_BYTES = 10 * 1024 * 1024

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".docx": "docx"}
ACCEPT = ",".join(EXTENSIONS)  # for <input type=file accept=...>
ALLOWED_WORDS = "PDF, JPG, PNG of Word (docx)"


class AttachmentRefused(Exception):
    """A file we cannot keep; `message` is written for the resident (B1)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The file type by its first bytes (and, for Word, by its zip contents)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            # Reads only the zip's table of contents, never decompresses (no zip bomb).
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return "docx"
    return None


def safe_filename(raw: str | None) -> str:
    """Only the last path part, without control characters, at most 200 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext) if dot and len(ext) <= 8 else name[:200]
    return name or "bijlage"


def too_large(filename: str | None) -> AttachmentRefused:
    name = safe_filename(filename)
    message = f"Het bestand ‘{name}’ is te groot. Een bestand mag maximaal 10 MB zijn."
    return AttachmentRefused(message, status=413)


def check_file(filename: str | None, data: bytes) -> CheckedFile:
    """Accept one file or raise AttachmentRefused with a message the resident can act on."""
    name = safe_filename(filename)
    if len(data) > MAX_BYTES:
        raise too_large(name)
    if not data:
        raise AttachmentRefused(f"Het bestand ‘{name}’ is leeg. Kies een ander bestand.")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    claimed = EXTENSIONS.get(extension)
    actual = sniff(data)
    if claimed is None or actual is None or claimed != actual:
        raise AttachmentRefused(
            f"Het bestand ‘{name}’ kunnen we niet gebruiken. U kunt alleen een {ALLOWED_WORDS} toevoegen."
        )
    return CheckedFile(name, CONTENT_TYPES[actual], data)


def check_count(count: int) -> None:
    if count > MAX_FILES:
        raise AttachmentRefused(f"U kunt maximaal {MAX_FILES} bestanden toevoegen. U koos er {count}.")
