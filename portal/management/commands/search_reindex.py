"""`manage.py search_reindex`: rebuild the public search index from the live pages (after a
change to the dictionary or synonyms in portal/search/data/). Wagtail's own index (the admin's
page search) is rebuilt by `manage.py update_index`."""

from django.core.management.base import BaseCommand

from portal.search.index import index_rebuild


class Command(BaseCommand):
    help = "重建网站搜索索引（修改分词词典或同义词后运行）。"

    def handle(self, *args, **options):
        count = index_rebuild(progress=self._progress)
        self.stdout.write(f"已索引 {count} 个公开页面。")

    def _progress(self, pages: int, indexed: int) -> None:
        self.stdout.write(f"  已处理 {pages} 个页面，索引 {indexed} 个")
