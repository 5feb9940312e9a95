"""Organisations in a tree (province → city → county → scenic area or hotel) and the operators of each.

An operator belongs to one organisation and sees and acts on it and everything below it, never a
sibling or a parent (``scope.py``). The tree is kept as a materialised path (``/1/4/9/``) so "this
organisation and below" is one indexed prefix match.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", "Province"
        CITY = "city", "City"
        COUNTY = "county", "County or district"
        SCENIC_AREA = "scenic_area", "Scenic area"
        HOTEL = "hotel", "Hotel"
        OTHER = "other", "Other"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)  # in Chinese, as the organisation calls itself
    name_en = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name_en or self.name

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        path = (self.parent.path if self.parent else "/") + f"{self.pk}/"
        if path != self.path:
            self.path = path
            Organisation.objects.filter(pk=self.pk).update(path=path)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def subtree(self) -> models.QuerySet[Organisation]:
        return Organisation.objects.filter(path__startswith=self.path)

    def is_within(self, other: Organisation) -> bool:
        """True when this organisation is ``other`` or below it."""
        return self.path.startswith(other.path)


class Membership(models.Model):
    """An operator's organisation and role."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrator"  # all of editor's, plus kiosks' registration and operators
        EDITOR = "editor", "Editor"  # publishes, answers feedback, sends notices
        VIEWER = "viewer", "Viewer"  # reads

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    def __str__(self) -> str:
        return f"{self.user} ({self.role} of {self.organisation})"

    @property
    def can_edit(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.EDITOR)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN
