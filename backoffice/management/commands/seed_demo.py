import datetime as dt

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from backoffice.demo.accounts import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    demo_accounts_create,
    demo_lapsed_worker_assign,
    require_demo_allowed,
)
from backoffice.demo.casework import demo_casework_create
from backoffice.demo.charity import demo_listings_create
from backoffice.demo.ledger import demo_households_create
from backoffice.demo.projects import demo_project_create
from backoffice.demo.reports import demo_reports_create
from backoffice.demo.statistics import demo_release_publish
from backoffice.models import Area, FileDeadline, Household
from backoffice.services.areas import areas_load
from portal.services import demo_site_load, home_page_ensure


class Command(BaseCommand):
    help = "生成演示账号和演示数据（仅开发/测试环境）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--households", type=int, default=0, help="再生成多少户演示家庭档案（默认 0）"
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（结果可复现）")
        parser.add_argument(
            "--reports",
            type=int,
            default=0,
            help="再生成多少条群众反映，进入分派研判队列（默认 0）",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="只在数据库还没有家庭档案时生成演示数据；已有数据时不再生成（make run 用）",
        )
        parser.add_argument(
            "--casework",
            type=int,
            default=0,
            help="为演示街道多少户制定帮扶方案、记录回访、个案和资源链接（默认 0）",
        )

    def handle(self, *args, **options):
        try:
            require_demo_allowed()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        on_file = Household.objects.count()
        if options["if_empty"] and on_file:
            # `make run`, second and later times: the same database is served as it is.
            demo_accounts_create()
            released = demo_release_publish(today=timezone.localdate())  # issue 16, once
            if released:
                self.stdout.write(f"公开统计数据：{released}。")
            self.stdout.write(
                f"数据库中已有 {on_file} 户家庭档案，不再生成演示数据（演示账号已确认）。"
                "如需从头生成，请先删除 var/db.sqlite3 后再运行 make run。"
            )
            return
        if on_file:
            self.stdout.write(f"数据库中已有 {on_file} 户家庭档案：演示数据在其后追加。")
        areas_load(Area)
        home_page_ensure()
        accounts = demo_accounts_create()
        site = demo_site_load()  # issue 14: the seed notice and demo pages of each type
        self.stdout.write(f"网站页面：新建 {site.created} 个，更新 {site.updated} 个。")
        self.stdout.write(f"演示账号（密码 {DEMO_PASSWORD}，TOTP 密钥 {DEMO_TOTP_SECRET}）：")
        for account in accounts:
            self.stdout.write(f"  {account.username:<10} {account.description}")
        households = options["households"]
        if households:
            persons = demo_households_create(
                households=households, seed=options["seed"], progress=self._progress
            )
            self.stdout.write(f"已生成 {households} 户演示家庭、{persons} 名成员。")
            demo_lapsed_worker_assign()
        if options["reports"]:
            made = demo_reports_create(count=options["reports"], seed=options["seed"])
            self.stdout.write(f"已生成 {made} 条群众反映。")
        if options["casework"]:
            worked = demo_casework_create(
                households=options["casework"], seed=options["seed"], today=timezone.localdate()
            )
            self.stdout.write(f"已为 {worked} 户制定帮扶方案并记录回访、个案和资源链接。")
        if households:
            # M5: the year's deadline, so that districts and streets see their progress to it.
            today = timezone.localdate()
            FileDeadline.objects.get_or_create(
                year=today.year,
                defaults={"due_on": dt.date(today.year, 12, 31), "set_by_name": "市民政局（演示）"},
            )
            demo_project_create(today=today)
            listed = demo_listings_create(seed=options["seed"], today=timezone.localdate())
            self.stdout.write(
                f"已发布 {listed} 项慈善帮扶需求（演示同意记录；一对一、多对一、慈善众筹）。"
            )
        # Issue 16: /statistics/ shows a release of the demo ledger (once; then nothing to do).
        released = demo_release_publish(today=timezone.localdate())
        if released:
            self.stdout.write(f"公开统计数据：{released}。")

    def _progress(self, households: int, persons: int, seconds: float) -> None:
        # Issue 3 item 6: 600,000 households take minutes, so say how far we are.
        self.stdout.write(f"  {households:>9,} 户  {persons:>10,} 人  {seconds:7.1f} 秒")
        self.stdout.flush()
