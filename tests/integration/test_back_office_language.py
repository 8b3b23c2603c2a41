"""Issue 13 item 2: the back office speaks only Chinese and is branded as the bureau's ledger.

Wagtail and Django ship Simplified Chinese catalogs with gaps; the project fills them in
locale/zh_Hans (compiled by `make messages`). These tests read the frameworks' own source
catalogs (their English `.po` files list every message they can show), so a framework upgrade
that brings new English fails here with the list of strings to translate.
"""

import ast
import json
import re
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
# Placeholders, markup and entities are not words to translate.
NOT_WORDS = re.compile(r"%\(\w+\)[sdr]|%[sdr]|\{\w*\}|<[^>]*>|&\w+;|https?://\S+")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
# Names Chinese writes as they are: units, protocols, formats.
PROPER_NOUNS = {"ID", "IPv4", "IPv6", "KB", "MB", "GB", "TB", "PB", "PDF", "CSV", "XLSX", "JSON"}


def po_entries(path: Path):
    """(context, msgid, msgid_plural) of every message of a gettext source catalog."""
    entries, current, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if current.get("msgid"):
                entries.append(
                    (current.get("msgctxt"), current["msgid"], current.get("msgid_plural"))
                )
            current, key = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgid_plural ", "msgctxt ", "msgstr")):
            key, _space, text = line.partition(" ")
            current[key] = ast.literal_eval(text)
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    return entries


def source_catalogs(domain: str) -> list[Path]:
    """The English source catalogs of Django and of every installed Wagtail app."""
    paths = [Path(django.__file__).parent / "conf/locale/en/LC_MESSAGES/django.po"]
    paths = paths if domain == "django" else []
    for config in apps.get_app_configs():
        if config.name.startswith(("wagtail", "django.contrib.auth")):
            path = Path(config.path) / "locale" / "en" / "LC_MESSAGES" / f"{domain}.po"
            if path.exists():
                paths.append(path)
    return paths


def has_words(text: str) -> bool:
    return any(word not in PROPER_NOUNS for word in WORD.findall(NOT_WORDS.sub("", text)))


def test_the_projects_translations_are_compiled_from_their_sources():
    for domain in ("django", "djangojs"):
        source, compiled = LOCALE / f"{domain}.po", LOCALE / f"{domain}.mo"
        assert compiled.exists(), f"{compiled} is missing: run `make messages`"
        assert compiled.stat().st_mtime >= source.stat().st_mtime, "run `make messages`"


def test_every_wagtail_and_django_message_has_a_chinese_translation():
    untranslated = []
    with translation.override("zh-hans"):
        for path in source_catalogs("django"):
            for context, msgid, plural in po_entries(path):
                if plural:
                    english = plural
                    shown = (
                        translation.npgettext(context, msgid, plural, 2)
                        if context
                        else translation.ngettext(msgid, plural, 2)
                    )
                else:
                    english = msgid
                    shown = (
                        translation.pgettext(context, msgid)
                        if context
                        else translation.gettext(msgid)
                    )
                if shown == english and has_words(msgid):
                    untranslated.append(f"{path.parts[-5]}: {msgid}")
    assert not untranslated, "add to locale/zh_Hans/LC_MESSAGES/django.po:\n" + "\n".join(
        untranslated
    )


def test_wagtails_scripts_get_every_message_in_chinese(login_as):
    """Wagtail's JavaScript translates through Django's JavaScript catalog (/admin/jsi18n/,
    package wagtail.admin, plus the project's locale/), loaded by every admin page."""
    client = login_as("street")
    assert 'src="/admin/jsi18n/"' in client.get("/admin/").content.decode()
    script = client.get("/admin/jsi18n/").content.decode()
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});\n", script, re.S).group(1))
    missing = [
        msgid
        for path in source_catalogs("djangojs")
        for context, msgid, _plural in po_entries(path)
        if has_words(msgid) and not catalog.get(f"{context}\x04{msgid}" if context else msgid)
    ]
    assert not missing, "add to locale/zh_Hans/LC_MESSAGES/djangojs.po:\n" + "\n".join(missing)
    assert catalog["Insert a block"] == "插入内容块"


def test_wagtails_script_strings_in_the_page_config_are_chinese(login_as):
    """The other way Wagtail's scripts get words: wagtailConfig.STRINGS in every admin page."""
    html = login_as("city").get("/admin/").content.decode()
    config = json.loads(re.search(r'id="wagtail-config"[^>]*>(.*?)</script>', html, re.S)[1])

    def strings(value):
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        return [value] if isinstance(value, str) else []

    english = [s for s in strings(config["STRINGS"]) if has_words(s)]
    assert not english
    assert config["STRINGS"]["MONTHS"][0] == "一月"


@pytest.mark.parametrize("username", ["street", "auditor", "editor", "security"])
def test_admin_pages_are_titled_as_the_bureaus_ledger(login_as, username):
    html = login_as(username).get("/admin/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()
    assert title == "控制面板 - 精准救助帮扶台账"


def test_the_login_page_shows_the_bureaus_emblem_and_no_wagtail(client, db):
    html = client.get("/admin/login/").content.decode()
    assert "<title>登录 - 精准救助帮扶台账</title>" in html
    assert 'aria-label="北京市民政局 救助帮扶台账"' in html  # the emblem
    assert "icon-wagtail" not in html and 'aria-label="Wagtail"' not in html
    assert "北京市民政局 救助帮扶台账 · 工作人员登录" in html


def sidebar(html: str) -> dict:
    return json.loads(re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.S)[1])


def test_the_menus_keep_wagtails_shortcuts_and_drop_its_guides_and_version(login_as):
    html = login_as("security").get("/admin/").content.decode()
    props = json.dumps(sidebar(html), ensure_ascii=False)
    assert "guide.wagtail.org" not in props  # editor guide, what's new
    assert "Wagtail v" not in props  # the settings menu's footer
    assert "快捷键" in props and "动态口令设备" in props
    assert "<template data-wagtail-sidebar-branding-logo><div" in html  # our emblem, not the bird


def test_the_dashboard_has_no_editor_guide_and_no_gravatar(login_as):
    html = login_as("street").get("/admin/").content.decode()
    assert "editor guide" not in html and "guide.wagtail.org" not in html
    assert "gravatar.com" not in html
    assert "wagtailadmin/images/default-user-avatar" in html  # served by the portal itself
    assert "搜索全部页面" not in html  # no page search for those who edit no pages


def test_the_account_page_offers_no_time_zone_but_beijings(login_as):
    html = login_as("street").get("/admin/account/").content.decode()
    assert "America/" not in html and "Asia/Shanghai" not in html


def test_a_record_page_is_named_view_not_inspect(login_as, ledger):
    html = login_as("street").get(f"/admin/persons/inspect/{ledger['zhang'].pk}/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S)[1]
    assert title.startswith("查看") and "检查" not in html
