"""The baseline of the intake benchmark: one plain row per POST, nothing else."""

from django.db import models


class BareReport(models.Model):
    name = models.CharField(max_length=40)
    phone = models.CharField(max_length=24)
    address = models.CharField(max_length=200)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "bareapp"

    def __str__(self) -> str:
        return self.name
