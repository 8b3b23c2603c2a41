"""Portal setup shared by seed_demo and the tests."""

from django.db import transaction
from wagtail.models import Locale, Page, Site

from .models import HomePage

HOME_TITLE = "困难群众精准救助帮扶"


@transaction.atomic
def home_page_ensure() -> HomePage:
    """The bureau's home page as the default site's root (created when missing)."""
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(instance=HomePage(title=HOME_TITLE, slug="home"))
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "北京市民政局"},
    )
    return home
