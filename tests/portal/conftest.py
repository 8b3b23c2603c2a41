"""The bureau's public site for tests: the demo site (seed notice and demo pages) and a few
generated neighbours. Personas: editor (drafts), reviewer (approves), a resident (anonymous).

The demo site is loaded once per test database (like the demo accounts in tests/conftest.py):
every test's transaction rolls back to it. A transactional test elsewhere may have flushed
it; `demo_site` loads it again then.
"""

import pytest

from portal.models import NoticePage
from portal.services import demo_site_load, home_page_ensure, site_sections_ensure
from tests.portal.corpus import generated_create, generated_pages

SEED_NOTICE = "jmhf-2018-195"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo_site_load()


@pytest.fixture
def home(db):
    return home_page_ensure()


@pytest.fixture
def sections(home):
    return site_sections_ensure(home)


@pytest.fixture
def demo_site(areas, home):
    if not NoticePage.objects.filter(slug=SEED_NOTICE).exists():
        report = demo_site_load()
        assert report.errors == []
    return home


@pytest.fixture
def generated(demo_site, sections):
    """45 generated pages beside the demo site (two pages of notices)."""
    specs = generated_pages(45)
    generated_create(specs, sections)
    return specs
