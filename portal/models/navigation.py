"""The header and footer menus, edited in the CMS (设置 → 网站导航)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable


@register_setting(icon="list-ul")
class SiteNavigation(ClusterableModel, BaseSiteSetting):
    panels = [
        InlinePanel("header_links", label=_("页头菜单")),
        InlinePanel("footer_links", label=_("页脚链接")),
    ]

    class Meta:
        verbose_name = _("网站导航")


class MenuLink(Orderable):
    label = models.CharField(_("显示文字"), max_length=40)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("站内页面"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.CharField(
        _("或者网址"),
        max_length=200,
        blank=True,
        help_text=_("站内地址以 / 开头，如 /report/；也可以是 https:// 开头的外部网址。"),
    )

    panels = [FieldPanel("label"), FieldPanel("page"), FieldPanel("url")]

    class Meta(Orderable.Meta):
        abstract = True

    def clean(self):
        super().clean()
        if bool(self.page_id) == bool(self.url):
            raise ValidationError(_("请选择一个站内页面，或者填写一个网址（二选一）。"))
        if self.url and not self.url.startswith(("/", "https://", "http://")):
            raise ValidationError({"url": _("网址应以 / 或 https:// 开头。")})

    def href(self, request=None) -> str:
        if self.page_id:
            return self.page.get_url(request) or ""
        return self.url


class HeaderLink(MenuLink):
    setting = ParentalKey(SiteNavigation, related_name="header_links", on_delete=models.CASCADE)


class FooterLink(MenuLink):
    setting = ParentalKey(SiteNavigation, related_name="footer_links", on_delete=models.CASCADE)
