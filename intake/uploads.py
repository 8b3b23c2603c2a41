"""SECURITY E1: uploads are allow-listed by their bytes, capped, cleaned and kept private.

PDF, JPEG and PNG only, recognised by magic bytes (never by name or browser-sent type);
at most 10 MB each; images within a pixel cap are decoded and re-encoded, which drops EXIF
(GPS position, camera serial) and anything appended to the file; PDFs are parsed and refused
when they carry active content (see `_pdf_refusal`). Files go to the "private" storage
(PRIVATE_MEDIA_ROOT, or the bucket of portal/storage.py) under random names with the extension
of the detected type, and are served only by a view that checks the user's scope; the name kept
for staff ends with that extension too, so that a download named after it opens in the program
for what the file really is.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from PIL import Image, ImageOps

STORAGE_UNAVAILABLE = (
    "附件暂时无法保存（文件存储服务暂不可用），本次反映未提交。请稍后重新提交，"
    "或拨打 12345 热线反映。"
)
PRIVATE_ALIAS = "private"  # the alias of STORAGES that holds every private file
STORAGE_UNREADABLE = "文件暂时无法读取（文件存储服务暂不可用），请稍后再试。"


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is for the user."""


class StorageUnavailable(UploadError):
    """Issue 19: the file store did not take a file, or did not give one back (down,
    unreachable, full). Nothing that refers to a file not taken may be saved; the message says
    so to the person who sent it. Outside the public form, portal/storage_down.py answers it
    with a 503 page."""

    def __init__(self, message: str = STORAGE_UNAVAILABLE):
        super().__init__(message)


def store_failure(exc: BaseException) -> bool:
    """A failure of the store itself (disk, network, the S3 service), not a programming error.
    A file the store does not have is not one: it answered (FileNotFoundError, also what
    django-storages raises for a missing key), and trying later will not bring the file back."""
    if isinstance(exc, FileNotFoundError):
        return False
    package = type(exc).__module__.partition(".")[0]
    return isinstance(exc, OSError) or package in {"botocore", "boto3", "s3transfer", "urllib3"}


class PrivateStorage(LazyObject):
    """The storage of every private file (E1): the "private" alias of STORAGES, the local disk
    or a bucket (portal/storage.py). The FileFields name it through a callable, so changing
    what it resolves to needs no migration. A store that fails while a file is written,
    deleted, opened or looked up raises StorageUnavailable (issue 19)."""

    def _setup(self):
        self._wrapped = storages[PRIVATE_ALIAS]

    def _guarded(self, call, message: str = STORAGE_UNAVAILABLE):
        try:
            return call()
        except Exception as exc:
            if store_failure(exc):
                raise StorageUnavailable(message) from exc
            raise

    def _call(self, method: str, *args, message: str = STORAGE_UNAVAILABLE, **kwargs):
        if self._wrapped is empty:
            self._setup()
        return self._guarded(lambda: getattr(self._wrapped, method)(*args, **kwargs), message)

    def save(self, name, content, max_length=None):
        return self._call("save", name, content, max_length=max_length)

    def delete(self, name):
        return self._call("delete", name)

    def open(self, name, mode="rb"):
        """The first byte is read here: a bucket's file is fetched on its first read, so a
        download learns that the store failed before its headers are sent, not halfway."""
        file = self._call("open", name, mode, message=STORAGE_UNREADABLE)
        if "r" in mode:
            try:
                self._guarded(lambda: (file.read(1), file.seek(0)), STORAGE_UNREADABLE)
            except StorageUnavailable:
                file.close()
                raise
        return file

    def exists(self, name):
        return self._call("exists", name, message=STORAGE_UNREADABLE)

    def size(self, name):
        return self._call("size", name, message=STORAGE_UNREADABLE)

    def listdir(self, path):
        return self._call("listdir", path, message=STORAGE_UNREADABLE)


private_storage = PrivateStorage()


@receiver(setting_changed)
def _private_storage_reset(*, setting, **kwargs):
    """Tests that change STORAGES (the S3 ones) get the new private storage at once."""
    if setting in {"STORAGES", "PRIVATE_MEDIA_ROOT"}:
        private_storage._wrapped = empty


MAGIC = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
# Names that already say what the detected type is; any other name gets its extension.
NAME_EXTENSIONS = {"pdf": {"pdf"}, "jpg": {"jpg", "jpeg"}, "png": {"png"}}

# E1: what a PDF may not carry. A scan or a phone photo saved as PDF is pages of images (and
# maybe OCR text), nothing else; everything below either runs by itself when the file is
# opened, hides another file inside it, or reaches out to another file or server:
# - JavaScript anywhere (/JS, the /JavaScript name tree, an action of type /JavaScript);
# - actions that run by themselves: /AA (on opening a page, focusing a field...), and
#   /OpenAction when it is an action (a dictionary); an /OpenAction that is a destination (an
#   array: page and zoom) only chooses where the viewer opens, and scanner and PDF-printer
#   software writes one, so it is kept;
# - other programs or files: /Launch, /GoToR and /GoToE (a remote file or an embedded one:
#   a \\server\share path makes Windows hand the staff member's login hash to that server);
# - files inside: /EmbeddedFile(s), /EF, /FileAttachment annotations;
# - forms that talk back: /SubmitForm and /ImportData (send to or read from a URL or file),
#   /XFA forms (their own scripting);
# - multimedia players with their own code: /RichMedia (Flash), /RichMediaExecute, /3D.
# /URI is kept: a link does nothing until a person clicks it and the viewer asks first, and
# ordinary PDFs (a hospital's or a bank's, exported from Word) carry them. A link that opens
# by itself needs /OpenAction or /AA, which are refused.
# Compared without case: some viewers read /Javascript as /JavaScript.
PDF_FORBIDDEN_KEYS = frozenset(
    name.lower()
    for name in ("/JS", "/JavaScript", "/AA", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/XFA")
)
PDF_FORBIDDEN_TYPES = frozenset(  # values of /S (action type), /Subtype and /Type
    name.lower()
    for name in (
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/SubmitForm",
        "/ImportData",
        "/EmbeddedFile",
        "/FileAttachment",
        "/RichMedia",
        "/RichMediaExecute",
        "/3D",
    )
)
PDF_TYPE_KEYS = ("/S", "/Subtype", "/Type")
# A scanned page takes a handful of objects (page, contents, image, resources): a file with
# more than this is no scan, and checking it would hold a web worker for too long (measured:
# 6,000 objects in 0.15 s). The clock covers files built to be slow to read (each broken
# cross-reference entry makes pypdf search the whole file).
PDF_MAX_OBJECTS = 20_000
PDF_MAX_CHECK_SECONDS = 5.0

PDF_REFUSED = "该 PDF 含有脚本、自动运行的动作或嵌入文件，不能接收。请打印后扫描，或拍照上传。"
PDF_UNREADABLE = "该 PDF 已损坏或格式不正确，无法读取。请重新扫描或拍照后上传。"
PDF_ENCRYPTED = (
    "该 PDF 设有密码或已加密，无法检查其内容。请去掉密码后重新保存，或打印后扫描、拍照上传。"
)
PDF_TOO_COMPLEX = "该 PDF 结构过于复杂，无法检查。请打印后扫描，或拍照上传。"


@dataclass(frozen=True)
class CleanUpload:
    content: bytes
    extension: str
    content_type: str
    original_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def as_file(self) -> ContentFile:
        return ContentFile(self.content, name=f"{uuid.uuid4().hex}.{self.extension}")


def _safe_name(name: str) -> str:
    keep = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')
    return keep.strip()[-120:] or "附件"


def _looks_like_extension(suffix: str) -> bool:
    """Whether the part after the last dot is an extension (html, exe, docx) and not a piece
    of the name (the 20 of "2026.11.20", the 身份证 of "张三.身份证")."""
    return 0 < len(suffix) <= 5 and suffix.isascii() and suffix.isalnum() and not suffix.isdigit()


def _name_with_extension(name: str, extension: str) -> str:
    """`report.html` holding a PDF becomes `report.pdf`: staff download it under this name,
    and the name must not promise a web page (or a program) that the file is not. Replacing
    the wrong extension reads better than `report.html.pdf`, the double extension that
    disguised malware uses; a name without an extension gets one added."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in NAME_EXTENSIONS[extension]:
        return name
    if dot and _looks_like_extension(suffix):
        name = stem.strip() or "附件"
    return f"{name[: 120 - len(extension) - 1]}.{extension}"


def _pdf_refusal(obj) -> str | None:
    """The forbidden name that `obj` (an object and the direct objects inside it) holds, or
    None. References to other objects are not followed: every object is checked on its own."""
    from pypdf.generic import ArrayObject, DictionaryObject

    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, DictionaryObject):  # a stream's dictionary included
            for key, value in item.items():
                name = key.lower()
                if name in PDF_FORBIDDEN_KEYS:
                    return key
                if name == "/openaction" and not isinstance(value.get_object(), ArrayObject):
                    return key
                if key in PDF_TYPE_KEYS:
                    value = value.get_object()
                    if isinstance(value, str) and value.lower() in PDF_FORBIDDEN_TYPES:
                        return value
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def _check_pdf(data: bytes) -> None:
    """E1: parse the PDF and look at every object, those packed into compressed object
    streams included; names are compared decoded (`/J#61vaScript` is `/JavaScript`).
    Raw bytes are not searched: an escape or a compressed object stream hides a name from
    that, and 10 MB of compressed scan holds a chance "/JS" often enough to refuse honest
    files. Objects that no cross-reference entry lists are ignored by viewers too (a
    damaged table is rebuilt by pypdf from every "n 0 obj" in the file)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError
    from pypdf.generic import IndirectObject

    started = time.monotonic()
    try:
        reader = PdfReader(io.BytesIO(data), xref_stream_maximum_entries=PDF_MAX_OBJECTS)
        if reader.is_encrypted:
            raise UploadError(PDF_ENCRYPTED)
        numbers = [
            (idnum, generation) for generation, rows in reader.xref.items() for idnum in rows
        ]
        numbers += [(idnum, 0) for idnum in reader.xref_objStm]
        if len(numbers) > PDF_MAX_OBJECTS:
            raise UploadError(PDF_TOO_COMPLEX)
        if _pdf_refusal(reader.trailer):
            raise UploadError(PDF_REFUSED)
        for count, (idnum, generation) in enumerate(numbers):
            if count % 256 == 0 and time.monotonic() - started > PDF_MAX_CHECK_SECONDS:
                raise UploadError(PDF_TOO_COMPLEX)
            if _pdf_refusal(IndirectObject(idnum, generation, reader).get_object()):
                raise UploadError(PDF_REFUSED)
    except UploadError:
        raise
    except LimitReachedError:
        raise UploadError(PDF_TOO_COMPLEX) from None
    except Exception:  # whatever pypdf or a hostile file raises: nothing was accepted
        raise UploadError(PDF_UNREADABLE) from None


def _reencode_image(data: bytes, extension: str) -> bytes:
    Image.MAX_IMAGE_PIXELS = settings.INTAKE_MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > settings.INTAKE_MAX_IMAGE_PIXELS:
                raise UploadError("图片像素过大，请缩小后再上传（不超过 4000 万像素）。")
            probe.load()
            image = ImageOps.exif_transpose(probe)
            out = io.BytesIO()
            if extension == "jpg":
                image.convert("RGB").save(out, format="JPEG", quality=88)
            else:
                image.save(out, format="PNG", optimize=False)
    except UploadError:
        raise
    except Exception:  # noqa: BLE001 - issue 19 fuzzing: Pillow raises UnicodeDecodeError,
        # struct.error, ValueError... on hostile files, not only OSError: nothing was accepted
        raise UploadError("图片已损坏或格式不正确，无法读取，请重新拍照或扫描后上传。") from None
    return out.getvalue()


def clean_upload(uploaded) -> CleanUpload:
    """Check one uploaded file and return its cleaned bytes (E1)."""
    if uploaded.size > settings.INTAKE_MAX_FILE_BYTES:
        raise UploadError("单个文件不能超过 10 MB，请压缩后再上传。")
    data = uploaded.read(settings.INTAKE_MAX_FILE_BYTES + 1)
    if len(data) > settings.INTAKE_MAX_FILE_BYTES:
        raise UploadError("单个文件不能超过 10 MB，请压缩后再上传。")
    if not data:
        raise UploadError("文件是空的，请重新选择。")
    kind = next((kind for magic, kind in MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise UploadError("只能上传 PDF、JPG 或 PNG 文件。")
    extension, content_type = kind
    if extension == "pdf":
        _check_pdf(data)
    else:
        data = _reencode_image(data, extension)
    return CleanUpload(
        content=data,
        extension=extension,
        content_type=content_type,
        original_name=_name_with_extension(
            _safe_name(getattr(uploaded, "name", "") or ""), extension
        ),
    )
