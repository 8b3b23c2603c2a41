from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The bureau's public front page: what residents can do here, in plain words (P2)."""

    intro = models.TextField(
        _("导语"),
        blank=True,
        default="家里遇到困难，可以在这里向民政部门反映。本人、家属、邻居，或者村（居）委会、"
        "社工机构都可以代为反映。我们会在 1 个工作日内安排入户了解情况。",
    )
    body = RichTextField(_("正文"), blank=True)
    hotline = models.CharField(_("咨询电话"), max_length=40, blank=True, default="12345")

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("hotline"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]
    max_count = 1

    class Meta:
        verbose_name = _("首页")
