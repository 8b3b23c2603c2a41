"""Issue 12: children under 14 decided in one place (SECURITY B4), proven on every surface.

The agency worker serves the household of 欧阳小雨 (5 years old) but holds no permission for
children's records. Everything the worker can reach in the back office (every page linked
from the admin home, the menus and the household, each list, search, form and PDF) is crawled,
and none of it may show the child's name, birth date or ID number, masked or not. The station,
which holds the permission, sees the child: the crawl would find the name if it were shown.
"""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from pypdf import PdfReader

from backoffice.children import CHILD_LABEL
from tests.integration.world import CHILD_BIRTH, CHILD_ID, CHILD_NAME

START = ["/admin/", "/admin/my-work/", "/admin/persons/", "/admin/needs/", "/admin/cases/"]
# Never followed: leaving the session, or pages that act on a GET (none should, but a crawler
# must not be the one to find out).
# Sorting and paging repeat a listing's rows: the first page in the default order stands for
# them.
SKIP = re.compile(
    r"/logout/|/delete/|/reveal/|/retry/|/unlock/|/issue/|/link/|[?&](export|ordering|p)="
)
MAX_PAGES = 250


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith("/admin/"):
                self.found.append(href.split("#")[0])


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.content.decode(errors="replace")


def _forbidden(world) -> list[str]:
    child = world["child_x"]
    return [
        CHILD_NAME,
        CHILD_ID,
        child.id_number_masked,
        CHILD_BIRTH.isoformat(),
        f"{CHILD_BIRTH:%Y年%m月%d日}",
    ]


def _crawl(client, world) -> dict[str, str]:
    home = world["home"].pk
    queue = deque(
        START
        + [
            f"/admin/households/inspect/{home}/",
            f"/admin/households/{home}/plan/",
            f"/admin/households/{home}/pdf/plan/",
            f"/admin/households/{home}/pdf/file/",
            f"/admin/households/{home}/visits/new/",
            f"/admin/needs/new/?household={home}",
            f"/admin/cases/new/?household={home}",
            f"/admin/referrals/new/?household={home}",
            f"/admin/persons/?q={CHILD_NAME[:2]}",
            f"/admin/persons/?q={CHILD_ID}",
            "/admin/persons/?q=oy",
            f"/admin/person-categories/?q={CHILD_NAME[:2]}",
        ]
    )
    seen, pages = set(), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in seen or SKIP.search(url):
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            continue
        text = _text(response)
        pages[url] = text
        if "text/html" in response.get("Content-Type", ""):
            parser = Links()
            parser.feed(text)
            queue.extend(link for link in parser.found if link not in seen)
    return pages


def test_b4_no_surface_shows_a_child_to_whom_lacks_the_permission(login_as, world):
    pages = _crawl(login_as("worker"), world)
    home = world["home"].pk
    assert f"/admin/households/inspect/{home}/" in pages  # the worker does open the file
    assert f"/admin/households/{home}/pdf/file/" in pages
    assert len(pages) > 40, sorted(pages)
    leaks = [
        f"{url}: {value}"
        for url, text in pages.items()
        for value in _forbidden(world)
        if value and value in text and value not in unquote(url)  # a search echoes its query
    ]
    assert not leaks, "\n".join(leaks)
    inspect = pages[f"/admin/households/inspect/{home}/"]
    assert CHILD_LABEL in inspect  # the member is there, as a label
    assert "（儿童）需要课后辅导" in inspect  # free text has the name replaced


def test_b4_the_station_sees_the_child_on_the_same_surfaces(login_as, world):
    pages = _crawl(login_as("street"), world)
    home = world["home"].pk
    assert CHILD_NAME in pages[f"/admin/households/inspect/{home}/"]
    assert CHILD_NAME in pages[f"/admin/households/{home}/pdf/file/"]
    assert world["child_x"].id_number_masked in pages[f"/admin/households/inspect/{home}/"]


def test_b4_search_does_not_find_a_child_for_the_worker(login_as, world):
    client = login_as("worker")
    for query in (CHILD_NAME[:2], CHILD_ID, "oyxy"):
        page = client.get(f"/admin/persons/?q={query}").content.decode()
        assert CHILD_NAME not in page and CHILD_LABEL not in page
    assert "张三" in client.get("/admin/persons/?q=张三").content.decode()


@pytest.mark.parametrize("kind", ["categories", "benefits", "needs"])
def test_b4_a_childs_records_do_not_open_for_the_worker(login_as, world, kind):
    child = world["child_x"]
    record = {
        "categories": ("person-categories", child.categories.first()),
        "benefits": ("benefits", child.benefits.first()),
        "needs": ("needs", child.needs.first()),
    }[kind]
    client = login_as("worker")
    assert client.get(f"/admin/{record[0]}/edit/{record[1].pk}/").status_code in (302, 403)
    assert login_as("street").get(f"/admin/{record[0]}/edit/{record[1].pk}/").status_code == 200


def test_b4_the_household_list_is_not_found_by_a_childs_name_without_the_permission(
    login_as, world
):
    home = world["home"].file_number
    assert home in login_as("street").get(f"/admin/households/?q={CHILD_NAME}").content.decode()
    for query in (CHILD_NAME, CHILD_ID):
        page = login_as("worker").get("/admin/households/", {"q": query}).content.decode()
        assert home not in page, query
