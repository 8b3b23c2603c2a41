"""Pre-subset faces for the PDFs (issue 6 speed): the two Noto CJK faces cut to GB 2312.

WeasyPrint subsets every embedded face again for each PDF; from Debian's 65,535-glyph CJK
collections that costs about 0.1 s per face and PDF. Faces holding only the GB 2312 repertoire
(6,763 hanzi and its symbols) plus ASCII, Latin-1 and the usual punctuation (about 8,000
characters instead of 65,000 glyphs) subset several times faster and look the same: their
glyphs are the system faces' own glyphs.

They are generated from the installed system faces with fontTools (`manage.py pdf_fonts`, run
by `make fonts`, which `make run`, `make test` and `make bench` depend on) into PDF_FONT_DIR
(var/fonts/, git-ignored). A stamp beside them names the system file they were cut from, so a
changed system font is cut again.

Fallback, so that no character ever prints as an empty box: the documents ask for
`"Ledger Serif GB", "Noto Serif CJK SC", serif`. Pango takes each character from the first
face of that list that has it, so a name with a character outside GB 2312 (堃, 玥, 䶮...) gets
that character from the full system face, which is embedded as well. When the subset faces
are missing (never built, or built from another font) no @font-face rule is written and every
character comes from the system faces as before, only slower.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess  # noqa: S404 - fc-match, a fixed command without user input
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

# Bump when the repertoire or the subsetting options change: every stamp then goes stale.
SUBSET_VERSION = 1
URL_PREFIX = "pdf-fonts/"  # under PDF_BASE_URL; served by StaticOnlyFetcher from font_dir()


@dataclass(frozen=True)
class SubsetFace:
    """One face the documents use, its subset family name and its file under font_dir()."""

    family: str  # the @font-face family the stylesheet lists first
    filename: str
    system_family: str  # the full system face: the source, and the fallback in font-family
    system_style: str
    weight: str  # the @font-face weight

    @property
    def url_path(self) -> str:
        return URL_PREFIX + self.filename


FACES = (
    SubsetFace("Ledger Serif GB", "ledger-serif-gb.otf", "Noto Serif CJK SC", "Regular", "normal"),
    SubsetFace("Ledger Sans GB", "ledger-sans-gb-bold.otf", "Noto Sans CJK SC", "Bold", "bold"),
)
FILENAMES = {face.filename for face in FACES}


def font_dir() -> Path:
    return Path(getattr(settings, "PDF_FONT_DIR", None) or settings.BASE_DIR / "var" / "fonts")


def subset_codepoints() -> set[int]:
    """GB 2312 (every double-byte code that decodes), ASCII, Latin-1, general punctuation
    (—, “”, ‰...), CJK symbols and punctuation (、。《》【】〇...) and full-width forms."""
    codepoints = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    codepoints |= set(range(0x2000, 0x2070)) | set(range(0x3000, 0x3040))
    codepoints |= set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                codepoints.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return codepoints


def system_font_file(face: SubsetFace) -> tuple[Path, int] | None:
    """The file and collection index fontconfig gives for the face, when it is that face."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    pattern = f"{face.system_family}:style={face.system_style}"
    try:
        out = subprocess.run(  # noqa: S603
            [fc_match, "--format=%{family}\t%{style}\t%{index}\t%{file}", pattern],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    families, styles, index, file = (out.split("\t", 3) + ["", "", "", ""])[:4]
    if face.system_family not in families.split(",") or face.system_style not in styles.split(","):
        return None  # fontconfig substituted another font: nothing to cut from
    return Path(file), int(index or 0)


def _source_stamp(path: Path, index: int) -> dict:
    stat = path.stat()
    return {
        "version": SUBSET_VERSION,
        "file": str(path),
        "index": index,
        "size": stat.st_size,
        "mtime": int(stat.st_mtime),
    }


def _stamp_path(face: SubsetFace) -> Path:
    return font_dir() / (face.filename + ".json")


def face_is_current(face: SubsetFace) -> bool:
    """The subset file exists and was cut from the system font installed now."""
    source = system_font_file(face)
    try:
        stamp = json.loads(_stamp_path(face).read_text())
    except (OSError, ValueError):
        return False
    return (
        source is not None
        and (font_dir() / face.filename).is_file()
        and stamp == _source_stamp(*source)
    )


def _cut(face: SubsetFace, source: Path, index: int, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = True
    options.desubroutinize = False
    font = TTFont(source, fontNumber=index, lazy=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset_codepoints())
    subsetter.subset(font)
    font.save(target)


def build_face(face: SubsetFace, *, force: bool = False) -> bool:
    """Cut one face unless it is current; under a lock, so parallel callers cut it once.
    Returns True when a file was written."""
    directory = font_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f".{face.filename}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and face_is_current(face):
            return False
        source = system_font_file(face)
        if source is None:
            raise FileNotFoundError(f"{face.system_family} {face.system_style} is not installed")
        handle, temporary = tempfile.mkstemp(dir=directory, suffix=".otf.tmp")
        os.close(handle)
        try:
            _cut(face, *source, Path(temporary))
            os.chmod(temporary, 0o644)  # mkstemp made it private; it is a public font
            os.replace(temporary, directory / face.filename)
        finally:
            Path(temporary).unlink(missing_ok=True)
        _stamp_path(face).write_text(json.dumps(_source_stamp(*source)))
    font_faces.cache_clear()
    return True


@cache
def font_faces() -> tuple[SubsetFace, ...]:
    """The subset faces ready to use (current files), for the documents' @font-face rules.
    Cached per process: a render must not run fc-match; `build_face` clears it."""
    return tuple(face for face in FACES if face_is_current(face))


def font_file(filename: str) -> Path | None:
    """The generated file behind a `pdf-fonts/<filename>` URL: only the known names."""
    if filename not in FILENAMES:
        return None
    path = font_dir() / filename
    return path if path.is_file() else None
