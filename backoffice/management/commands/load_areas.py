from django.core.management.base import BaseCommand

from backoffice.models import Area
from backoffice.services.areas import areas_load


class Command(BaseCommand):
    help = "载入北京市行政区划（区、法定街道乡镇、社区村）；已存在的不重复载入。"

    def handle(self, *args, **options):
        added = areas_load(Area)
        self.stdout.write(f"已新增 {added} 个区划，共 {Area.objects.count()} 个。")
