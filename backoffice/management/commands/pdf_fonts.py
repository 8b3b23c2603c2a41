"""`manage.py pdf_fonts`: cut the PDFs' faces to GB 2312 into PDF_FONT_DIR (see pdf_fonts.py).

Run by `make fonts` (a dependency of run, test and bench) and once per deployment. Does
nothing for a face already cut from the installed system font, unless `--force`.
"""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from django.core.management.base import BaseCommand, CommandError

from backoffice import pdf_fonts


class Command(BaseCommand):
    help = "生成 PDF 用的 GB 2312 子集字体（约 1 分钟）。Cut the PDF faces to GB 2312."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="cut again even when current")

    def handle(self, *args, force=False, **options):
        # One process per face: each cut takes fontTools 40-70 s of one core.
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(pdf_fonts.FACES), mp_context=context) as pool:
            futures = [pool.submit(pdf_fonts.build_face, f, force=force) for f in pdf_fonts.FACES]
        for face, future in zip(pdf_fonts.FACES, futures, strict=True):
            try:
                written = future.result()
            except FileNotFoundError as exc:
                raise CommandError(f"{exc}; install fonts-noto-cjk (make system-deps)") from exc
            path = pdf_fonts.font_dir() / face.filename
            state = "written" if written else "current"
            self.stdout.write(f"{face.family}: {path} ({state})")
