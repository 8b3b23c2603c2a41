"""Issue 14 item 5: `manage.py import_pages DIR` creates or updates pages from Markdown,
reports each bad file by name with the reason and writes nothing for it, and ends with
{"created": N, "updated": N, "errors": N}."""

import json

import pytest
from django.core.management import call_command

from portal.models import NoticePage, PlainPage, SearchDocument, StatisticsReleasePage

NOTICE = """---
type: notice
title: 关于做好困难群众冬季取暖救助工作的通知
doc_number: 京民社救发[2026]140号
date: 2026-11-01
issuer: 北京市民政局
---
## 一、救助对象

低保家庭、特困人员和低收入家庭。

| 类别 | 补贴（元） |
| --- | --- |
| 低保家庭 | 800 |
| 特困人员 | 1000 |
"""


def _run(directory, *args) -> tuple[list[str], int]:
    from io import StringIO

    out = StringIO()
    code = 0
    try:
        call_command("import_pages", str(directory), *args, stdout=out)
    except SystemExit as exit_:
        code = exit_.code
    return out.getvalue().strip().splitlines(), code


def test_it_creates_a_published_indexed_notice_from_markdown(tmp_path, client, demo_site):
    (tmp_path / "a.md").write_text(NOTICE, encoding="utf-8")
    lines, code = _run(tmp_path)
    assert code == 0
    assert json.loads(lines[-1]) == {"created": 1, "updated": 0, "errors": 0}
    notice = NoticePage.objects.get(doc_number="京民社救发〔2026〕140号")
    assert notice.live and notice.issued_on.isoformat() == "2026-11-01"
    assert [block.block_type for block in notice.body] == ["text", "table"]
    html = client.get(notice.url).content.decode()
    assert "<h3>一、救助对象</h3>" in html
    assert "<table" in html and "特困人员" in html and "1000" in html
    assert SearchDocument.objects.filter(page_id=notice.pk).exists()
    assert "冬季取暖" in client.get("/search/?q=2026年140号").content.decode()


def test_it_updates_by_doc_number_and_by_slug(tmp_path, demo_site):
    (tmp_path / "a.md").write_text(NOTICE, encoding="utf-8")
    _run(tmp_path)
    (tmp_path / "a.md").write_text(NOTICE.replace("冬季取暖", "冬季取暖和防寒"), encoding="utf-8")
    lines, _code = _run(tmp_path)
    assert json.loads(lines[-1]) == {"created": 0, "updated": 1, "errors": 0}
    assert NoticePage.objects.get(doc_number="京民社救发〔2026〕140号").title.endswith(
        "取暖和防寒救助工作的通知"
    )
    about = "---\ntype: page\ntitle: 关于本网站（新版）\nslug: about\n---\n新的说明。\n"
    (tmp_path / "a.md").unlink()
    (tmp_path / "about.md").write_text(about, encoding="utf-8")
    lines, _code = _run(tmp_path)
    assert json.loads(lines[-1]) == {"created": 0, "updated": 1, "errors": 0}
    assert PlainPage.objects.get(slug="about").title == "关于本网站（新版）"


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("no-header.md", "没有头部的正文", "缺少以 --- 开始的头部信息块"),
        ("bad-type.md", "---\ntype: news\ntitle: 标题\n---\n正文", "type 不对"),
        (
            "bad-date.md",
            "---\ntype: notice\ntitle: 标题\ndate: 2026-02-30\n---\n正文",
            "不是真实存在的日期",
        ),
        (
            "bad-number.md",
            "---\ntype: notice\ntitle: 标题\ndate: 2026-01-05\n"
            "doc_number: 京民2026第5号\n---\n正文",
            "格式不对",
        ),
        (
            "unknown-notice.md",
            "---\ntype: interpretation\ntitle: 解读\ndate: 2026-01-05\n"
            "notice: 京民福发〔2001〕1号\n---\n正文",
            "找不到",
        ),
        (
            "full-name.md",
            "---\ntype: disclosure\ntitle: 处罚\ndate: 2026-01-05\ndoc_number: 京民罚〔2026〕9号\n"
            "party_kind: 自然人\nparty: 张三\npublication_ends: 2027-01-05\n---\n"
            "## 违法事实\n事实\n## 处罚依据\n依据\n## 处罚内容\n警告",
            "不能写全名",
        ),
        (
            "duplicate.md",
            "---\ntype: statistics\ntitle: 统计\ndate: 2026-01-05\nperiod: 2026-13\n---\n正文",
            "统计周期",
        ),
        ("gbk.md", None, "不是 UTF-8"),
    ],
)
def test_a_bad_file_is_named_with_its_reason_and_writes_nothing(
    tmp_path, demo_site, name, content, reason
):
    pages_before = NoticePage.objects.count() + StatisticsReleasePage.objects.count()
    if content is None:
        (tmp_path / name).write_bytes(NOTICE.encode("gbk"))
    else:
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "good.md").write_text(NOTICE, encoding="utf-8")
    lines, code = _run(tmp_path)
    assert code == 1
    assert json.loads(lines[-1]) == {"created": 1, "updated": 0, "errors": 1}
    refusal = next(line for line in lines if line.startswith(f"{name}: 未导入"))
    assert reason in refusal
    assert NoticePage.objects.count() + StatisticsReleasePage.objects.count() == pages_before + 1


def test_a_file_failing_the_models_checks_leaves_no_page_behind(tmp_path, demo_site):
    bad = NOTICE.replace("issuer: 北京市民政局", "status: 已修订")  # revised by nothing
    (tmp_path / "revised.md").write_text(bad, encoding="utf-8")
    lines, code = _run(tmp_path)
    assert code == 1 and "已修订的文件，请选择修订后的新文件" in lines[0]
    assert not NoticePage.objects.filter(title__contains="冬季取暖").exists()


def test_draft_mode_saves_without_publishing(tmp_path, client, demo_site):
    (tmp_path / "a.md").write_text(NOTICE, encoding="utf-8")
    lines, _code = _run(tmp_path, "--draft")
    notice = NoticePage.objects.get(doc_number="京民社救发〔2026〕140号")
    assert not notice.live
    assert "草稿" in lines[0]
    assert not SearchDocument.objects.filter(page_id=notice.pk).exists()
