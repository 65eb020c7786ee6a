"""Addresses filled in from one reversed pattern are exactly what reverse() gives."""

import pytest
from django.urls import reverse
from django.utils import translation

from archive.models import Issue
from archive.publishing.addresses import Addresses

SLUGS = ["硬件加速", "c-sharp", "大模型-llm", "a_b", "x" * 90, "数据库2", "0slug0"]
DOMAINS = ["github.com", "zh.wikipedia.org", "例子.测试", "a-b.example:8080"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_addresses_agree_with_reverse(language):
    with translation.override(language):
        addresses = Addresses()
        for slug in SLUGS:
            assert addresses.category(slug) == reverse("archive:category", args=[slug])
            assert addresses.tag(slug) == reverse("archive:tag", args=[slug])
            special = Issue(number=None, slug=slug)
            assert addresses.issue(special) == reverse("archive:special", args=[slug])
        for domain in DOMAINS:
            assert addresses.domain(domain) == reverse("archive:domain", args=[domain])
        for number in [0, 1, 987654321, 10**12]:
            assert addresses.link(number) == reverse("archive:link", args=[number])
            assert addresses.issue(Issue(number=number)) == reverse("archive:issue", args=[number])
