"""Categories (the recurring section headings) and what tags and categories are called in
addresses."""

import hashlib

from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _


def unicode_slug(text, taken=()):
    """A slug that keeps Chinese (``硬件加速``) and stays unique against ``taken``.

    ``C#`` and ``C++`` would both become ``c``; the symbols are spelled out first.
    """
    spelled = text.replace("#", " sharp").replace("++", " plus plus").replace("+", " plus")
    base = slugify(spelled, allow_unicode=True)[:90] or "section"
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def tag_slug_of_symbols(name):
    """The slug of a tag whose name has no letter or digit to slugify: stable, unique by
    name (names are unique)."""
    return "tag-" + hashlib.sha1(name.encode()).hexdigest()[:10]


class Category(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            taken = set(Category.objects.exclude(pk=self.pk).values_list("slug", flat=True))
            self.slug = unicode_slug(self.name, taken)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("archive:category", args=[self.slug])


class CategoryAlias(models.Model):
    """A slug a category was known by before it was merged into another: its pages redirect."""

    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        verbose_name = _("former category address")
        verbose_name_plural = _("former category addresses")
        ordering = ["slug"]

    def __str__(self):
        return f"{self.slug} → {self.category.slug}"

    def get_absolute_url(self):
        return self.category.get_absolute_url()
