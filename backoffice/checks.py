"""Start-up checks (`manage.py check`, runserver, migrate): fail loudly instead of printing badly.

Without a CJK font WeasyPrint silently draws every Chinese character as an empty box, and
without libharfbuzz-subset a Chinese PDF takes about 9 s instead of 0.3 s (DESIGN.md traps).
`make system-deps` installs both (fonts-noto-cjk, libharfbuzz-subset0).
"""

from __future__ import annotations

import shutil
import subprocess  # noqa: S404 - fc-list, a fixed command without user input

from django.core.checks import Error, Warning, register

# The faces static/pdf/document.css asks for.
PDF_FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")
INSTALL_HINT = "Debian/Ubuntu：sudo apt-get install -y fonts-noto-cjk（或运行 make system-deps）"


def cjk_font_families() -> set[str] | None:
    """Font families that cover Chinese, from fontconfig; None when fc-list is unavailable."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run(  # noqa: S603
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {name.strip() for line in listing.splitlines() for name in line.split(",") if name}


@register()
def check_pdf_fonts(app_configs=None, **kwargs):
    """backoffice.E001: no CJK font at all; W001: not the document's faces; W002/W003: cannot
    tell, or slow subsetting; W004: the pre-subset faces are not built (pdf_fonts.py)."""
    messages = []
    families = cjk_font_families()
    if families is None:
        messages.append(
            Warning(
                "无法检查中文字体：找不到 fontconfig 的 fc-list 命令。",
                hint="安装 fontconfig 和 fonts-noto-cjk。",
                id="backoffice.W002",
            )
        )
    elif not families:
        messages.append(
            Error(
                "没有安装任何中文（CJK）字体：生成的 PDF 会把汉字画成空白方框。",
                hint=INSTALL_HINT,
                id="backoffice.E001",
            )
        )
    elif not all(family in families for family in PDF_FONT_FAMILIES):
        missing = "、".join(f for f in PDF_FONT_FAMILIES if f not in families)
        messages.append(
            Warning(
                f"PDF 所用字体未安装：{missing}；将以其他中文字体代替，版式会有出入。",
                hint=INSTALL_HINT,
                id="backoffice.W001",
            )
        )
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:
        messages.append(
            Warning(
                "未安装 libharfbuzz-subset：每份中文 PDF 要多花约 9 秒嵌入字体。",
                hint="sudo apt-get install -y libharfbuzz-subset0（或运行 make system-deps）",
                id="backoffice.W003",
            )
        )
    from . import pdf_fonts

    if families and not pdf_fonts.font_faces():
        messages.append(
            Warning(
                "PDF 的 GB 2312 子集字体尚未生成：PDF 照常生成，但每份慢约 0.1 秒。",
                hint="make fonts（或 manage.py pdf_fonts）",
                id="backoffice.W004",
            )
        )
    return messages
