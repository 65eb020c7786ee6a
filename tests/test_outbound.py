"""The site's own requests: the rules (http(s) only, no private targets after DNS, on every
redirect; caps and timeouts), and the title and description of a page, against a real
server on 127.0.0.1."""

import pytest

from archive.ingest.outbound import FetchFailed, Refused, address_allowed, fetch, page_summary
from tests.httpserver import LocalServer, html, redirect, slow

PAGE = """<!doctype html><html><head><title> 一个  工具 </title>
<meta property="og:title" content="ripgrep：比 grep 更快">
<meta name="description" content="递归搜索目录。">
</head><body>hi</body></html>"""


@pytest.fixture
def loopback(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOW_LOOPBACK", "1")


@pytest.fixture
def server():
    routes = {
        "/page": html(PAGE),
        "/plain-title": html("<html><head><title>Only a title</title></head></html>"),
        "/gbk": html("<html><head><title>中文标题</title></head></html>", charset="gbk"),
        "/to-page": redirect("/page"),
        "/to-private": redirect("http://10.0.0.1/admin"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-ipv6-loopback": redirect("http://[::1]/"),
        "/loop": redirect("/loop"),
        "/big": html("<html><head><title>Big</title></head><body>" + "x" * 3_000_000),
        "/slow": slow(3, html("<title>late</title>")),
        "/image": lambda handler: (200, {"Content-Type": "image/png"}, b"\x89PNG"),
        "/gone": html("<title>Gone</title>", status=404),
    }
    with LocalServer(routes) as running:
        yield running


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(address):
    assert not address_allowed(address)


def test_public_addresses_are_allowed():
    assert address_allowed("93.184.216.34") and address_allowed("2606:2800:220:1::248")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "ftp://example.com/",
        "javascript:alert(1)",
        "http:///nohost",
    ],
)
def test_refused_targets_are_never_contacted(url, loopback):
    with pytest.raises(Refused):
        fetch(url)


def test_loopback_is_refused_unless_allowed(server, monkeypatch):
    monkeypatch.delenv("OUTBOUND_ALLOW_LOOPBACK", raising=False)
    with pytest.raises(Refused, match="not public"):
        fetch(server.url + "/page")
    with pytest.raises(Refused, match="not public"):  # a name is checked once resolved
        fetch(server.url.replace("127.0.0.1", "localhost") + "/page")
    assert server.seen == []  # refused before any connection


def test_a_page_gives_its_title_and_description(server, loopback):
    summary = page_summary(server.url + "/page")
    assert summary.title == "ripgrep：比 grep 更快"
    assert summary.description == "递归搜索目录。"
    assert page_summary(server.url + "/plain-title").title == "Only a title"
    assert page_summary(server.url + "/gbk").title == "中文标题"
    agent = server.seen[0][2]["User-Agent"]
    assert agent.startswith("Mozilla/5.0 (compatible; LinkWeekly/")


def test_redirects_are_followed_and_each_is_checked(server, loopback):
    fetched = fetch(server.url + "/to-page")
    assert fetched.status == 200 and fetched.url == server.url + "/page"
    assert fetched.redirects == [server.url + "/to-page"]
    for path in ["/to-private", "/to-metadata", "/to-ipv6-loopback"]:
        with pytest.raises(Refused):
            fetch(server.url + path)
    with pytest.raises(FetchFailed, match="more than 5 redirects"):
        fetch(server.url + "/loop")


def test_size_and_time_are_capped(server, loopback):
    big = fetch(server.url + "/big", max_bytes=100_000)
    assert big.truncated and len(big.body) == 100_000
    assert page_summary(server.url + "/big").title == "Big"
    with pytest.raises(FetchFailed):
        fetch(server.url + "/slow", timeout=1)


def test_what_is_not_a_page_has_no_title(server, loopback):
    assert page_summary(server.url + "/image").title == ""
    assert page_summary(server.url + "/gone").title == ""
    assert fetch(server.url + "/gone").status == 404


def test_an_unknown_host_fails_cleanly(loopback):
    with pytest.raises(FetchFailed, match="cannot resolve"):
        fetch("http://no-such-host.invalid/")
