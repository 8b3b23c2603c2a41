"""SECURITY E1: uploads are allow-listed by their bytes, capped, cleaned and kept private.

PDF, JPEG and PNG only, recognised by magic bytes (never by name or browser-sent type);
at most 10 MB each; images within a pixel cap are decoded and re-encoded, which drops EXIF
(GPS position, camera serial) and anything appended to the file; PDFs that carry scripts are
refused. Files go to PRIVATE_MEDIA_ROOT under random names and are served only by a view that
checks the user's scope.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject
from PIL import Image, ImageOps, UnidentifiedImageError


class PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = PrivateStorage()

MAGIC = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile")


class UploadError(ValueError):
    """An upload that cannot be accepted; the message is for the user."""


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


def _reencode_image(data: bytes, extension: str) -> bytes:
    Image.MAX_IMAGE_PIXELS = settings.INTAKE_MAX_IMAGE_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as probe:
            width, height = probe.size
            if width * height > settings.INTAKE_MAX_IMAGE_PIXELS:
                raise UploadError("图片像素过大，请缩小后再上传（不超过 4000 万像素）。")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise UploadError("图片已损坏或格式不正确，无法读取，请重新拍照或扫描后上传。") from None
    out = io.BytesIO()
    if extension == "jpg":
        image.convert("RGB").save(out, format="JPEG", quality=88)
    else:
        image.save(out, format="PNG", optimize=False)
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
        if any(marker in data for marker in PDF_ACTIVE_CONTENT):
            raise UploadError("该 PDF 含有脚本或嵌入文件，不能接收。请打印后扫描或拍照上传。")
    else:
        data = _reencode_image(data, extension)
    return CleanUpload(
        content=data,
        extension=extension,
        content_type=content_type,
        original_name=_safe_name(getattr(uploaded, "name", "") or ""),
    )
