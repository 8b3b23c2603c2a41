from django.db import models
from django.utils.translation import gettext_lazy as _

from ..enums import AreaLevel


class Area(models.Model):
    """One of Beijing's divisions: the city, a district, a street/township or a community/village.

    `district` and `street` point at the ancestor of that level (or at the row itself), so the
    jurisdiction scope is one indexed equality, whatever the level.
    """

    code = models.CharField(_("统计用区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=12, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    district = models.ForeignKey(
        "self",
        verbose_name=_("所属区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    street = models.ForeignKey(
        "self",
        verbose_name=_("所属街道（乡镇）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    aliases = models.CharField(_("别名（统计局名称）"), max_length=128, blank=True)
    is_legal_unit = models.BooleanField(
        _("民政部法定区划"),
        default=True,
        help_text=_("否：统计局统计单元（如经济开发区），不是法定街道乡镇。"),
    )

    # The scope function filters Area rows by these columns (see backoffice/scope.py).
    # An agency worker works in the communities of the households assigned to them.
    scope_fields = {
        "district": "district_id",
        "street": "street_id",
        "community": "code",
        "assigned": "households__assignments__worker_id",
    }

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        parts = []
        node: Area | None = self
        while node is not None and node.level != AreaLevel.CITY:
            parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts))
