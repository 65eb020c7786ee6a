"""Counts kept on write (archive.publishing.tallies): after every kind of change they equal a
count made from scratch, a scheduled issue is counted from its time on, and every change bumps the
archive's version."""

import datetime
from collections import Counter

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from taggit.models import Tag

from archive.ingest.loading import load_issue
from archive.issuemd import EntryDoc, IssueDoc, SectionDoc
from archive.models import ArchiveState, Category, Issue, Link, Section, TaggedLink, Tally
from archive.publishing import tallies
from tests.factories import make_issue, make_link, make_section

pytestmark = pytest.mark.django_db
Kind = Tally.Kind


def counted_from_scratch(now=None):
    """What the tallies must say, counted the slow way."""
    now = now or timezone.now()
    expected = Counter()
    links = Link.objects.filter(section__issue__published_at__lte=now).values_list(
        "pk", "section__category_id", "domain", "section__issue__date"
    )
    for _pk, category, domain, date in links:
        expected[(Kind.CATEGORY, str(category))] += 1
        expected[(Kind.LINKS, "")] += 1
        if domain:
            expected[(Kind.DOMAIN, domain)] += 1
        if date:
            expected[(Kind.YEAR, str(date.year))] += 1
            expected[(Kind.YEAR_CATEGORY, f"{date.year}:{category}")] += 1
    for tag_id in TaggedLink.objects.filter(
        content_object__section__issue__published_at__lte=now
    ).values_list("tag_id", flat=True):
        expected[(Kind.TAG, str(tag_id))] += 1
    for date in Issue.objects.published(now).values_list("date", flat=True):
        expected[(Kind.ISSUES, "")] += 1
        if date:
            expected[(Kind.ISSUES, str(date.year))] += 1
    for kind in tallies.COUNTED_KINDS:
        number = sum(1 for found, _key in expected if found == kind)
        if number:
            expected[(Kind.DISTINCT, kind)] = number
    return dict(expected)


def stored():
    return {
        (tally.kind, tally.key): tally.count
        for tally in Tally.objects.all()
        if not (tally.kind == Kind.DISTINCT and tally.count == 0)
    }


def version():
    return ArchiveState.objects.get(pk=1).version


def doc(number, *entries, date=datetime.date(2024, 3, 1), heading="工具"):
    return IssueDoc(number=number, date=date, sections=[SectionDoc(heading, entries=list(entries))])


def archive_issues():
    load_issue(
        doc(
            1,
            EntryDoc("A", "https://github.com/a", tags=["rust", "cli"]),
            EntryDoc("B", "https://b.example/", children=[EntryDoc("B2", "https://github.com/b")]),
            date=datetime.date(2023, 5, 5),
        ),
        publish=True,
    )
    load_issue(doc(2, EntryDoc("C", "https://github.com/c", tags=["rust"])), publish=True)
    load_issue(doc(3, EntryDoc("Draft", "https://secret.example/", tags=["secret"])))


@pytest.fixture
def archive():
    archive_issues()


def test_counts_match_a_count_from_scratch(archive):
    assert stored() == counted_from_scratch()
    assert tallies.count(Kind.DOMAIN, "github.com") == 3
    assert tallies.count(Kind.TAG, Tag.objects.get(name="rust").pk) == 2
    assert tallies.count(Kind.ISSUES) == 2 and tallies.count(Kind.ISSUES, 2023) == 1
    assert tallies.count(Kind.TAG, Tag.objects.get(name="secret").pk) == 0  # a draft's
    assert list(Issue.objects.order_by("number").values_list("link_count", flat=True)) == [3, 1, 1]


@pytest.mark.on_commit
def test_every_kind_of_edit_keeps_them_right(django_capture_on_commit_callbacks):
    """Each step is one transaction, recounted when it commits, as in the admin."""
    steps = []

    def step(label):
        class Step:
            def __enter__(self):
                self.before = version()
                self.capture = django_capture_on_commit_callbacks(execute=True)
                self.capture.__enter__()

            def __exit__(self, *exc):
                self.capture.__exit__(*exc)
                if exc[0] is None:
                    steps.append(label)
                    assert stored() == counted_from_scratch(), label
                    assert version() == self.before + 1, label

        return Step()

    with step("three issues imported"):
        archive_issues()
    link = Link.objects.get(title="A")
    with step("a link's address"):
        link.url = "https://gitlab.com/a"
        link.save()
    with step("a tag added"):
        link.tags.add("新标签")
    with step("a tag removed"):
        link.tags.remove("rust")
    with step("a section moved to another category"):
        section = Section.objects.get(issue__number=1)
        section.category = Category.objects.create(name="新栏目")
        section.save()
    with step("a link added"):
        make_link(section, "D", "https://d.example/")
    with step("a similar link deleted"):
        Link.objects.get(title="B2").delete()
    issue = Issue.objects.get(number=2)
    with step("an issue's date"):
        issue.date = datetime.date(2022, 1, 1)
        issue.save()
    with step("an issue unpublished"):
        issue.published_at = None
        issue.save()
    with step("a section deleted"):
        Issue.objects.get(number=3).sections.get().delete()
    with step("a tag deleted"):
        Tag.objects.get(name="cli").delete()
    with step("an issue deleted"):
        Issue.objects.get(number=1).delete()
    with step("an issue imported again"):
        load_issue(doc(2, EntryDoc("C again", "https://github.com/c2")), publish=True)
    assert len(steps) == 13


def test_admin_actions_keep_them_right(archive, client, editor):
    client.force_login(editor)
    draft = Issue.objects.get(number=3)
    client.post("/admin/archive/issue/", {"action": "publish_now", "_selected_action": [draft.pk]})
    assert tallies.count(Kind.TAG, Tag.objects.get(name="secret").pk) == 1
    assert stored() == counted_from_scratch()
    client.post("/admin/archive/issue/", {"action": "unpublish", "_selected_action": [draft.pk]})
    assert tallies.count(Kind.TAG, Tag.objects.get(name="secret").pk) == 0
    assert stored() == counted_from_scratch()
    assert Group.objects.filter(name="editors").exists()


def test_a_renamed_category_or_tag_bumps_the_version(archive):
    before = version()
    category = Category.objects.get(name="工具")
    category.name = "好工具"
    category.save()
    assert version() == before + 1
    tag = Tag.objects.get(name="rust")
    tag.name = "Rust"
    tag.save()
    assert version() == before + 2
    assert stored() == counted_from_scratch()


def test_a_scheduled_issue_counts_from_its_time(archive):
    soon = timezone.now() + datetime.timedelta(hours=1)
    make_link(make_section(make_issue(9, published=soon), "工具"), "Soon", "https://soon.example/")
    assert tallies.count(Kind.DOMAIN, "soon.example") == 0
    state = ArchiveState.objects.get(pk=1)
    assert state.next_go_live == soon
    before = state.version

    tallies.reconcile(now=soon - datetime.timedelta(seconds=1))
    assert version() == before  # nothing is due: nothing happens

    later = soon + datetime.timedelta(seconds=1)
    tallies.reconcile(now=later)
    assert tallies.count(Kind.DOMAIN, "soon.example") == 1
    assert stored() == counted_from_scratch(later)
    state = ArchiveState.objects.get(pk=1)
    assert state.version == before + 1 and state.next_go_live is None


def test_a_publish_time_moved_behind_the_archives_back_is_reconciled(archive):
    Issue.objects.filter(number=3).update(published_at=timezone.now())  # no signals
    assert tallies.count(Kind.TAG, Tag.objects.get(name="secret").pk) == 0
    tallies.reconcile()
    assert stored() == counted_from_scratch()


@pytest.mark.on_commit
@pytest.mark.django_db(transaction=True)
def test_changes_are_recounted_once_when_the_transaction_commits(django_assert_max_num_queries):
    load_issue(doc(1, EntryDoc("A", "https://a.example/")), publish=True)
    issue = Issue.objects.get()
    before = version()
    with transaction.atomic():
        section = issue.sections.get()
        for index in range(20):
            make_link(section, f"L{index}", f"https://l{index}.example/", position=index + 1)
        assert tallies.count(Kind.LINKS) == 1  # not yet
    assert tallies.count(Kind.LINKS) == 21
    assert version() == before + 1  # one recount for the twenty links

    with pytest.raises(RuntimeError), transaction.atomic():
        make_link(section, "Gone", "https://gone.example/", position=99)
        raise RuntimeError
    assert tallies.count(Kind.DOMAIN, "gone.example") == 0
    assert stored() == counted_from_scratch()


def test_recounting_everything_gives_the_same_tallies(archive):
    kept = stored()
    Tally.objects.all().delete()
    tallies.recount(Issue.objects.values_list("pk", flat=True))
    assert stored() == kept == counted_from_scratch()
