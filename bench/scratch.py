"""Scratch databases, synthetic links and production-like servers, for the benchmark
tools (manage.py bench …) and the tests that start one."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.db import connection

ZH_WORDS = (  # noqa: SIM905
    "模型 训练 推理 数据 算法 系统 架构 服务 性能 优化 分布式 数据库 存储 网络 安全 前端 后端 "
    "容器 编排 监控 日志 缓存 队列 搜索 索引 压缩 编译 调试 测试 部署 发布 版本 开源 社区 工具 "
    "框架 语言 并发 异步 线程 进程 内存 磁盘 芯片 显卡 算力 集群 调度 云原生 微服务 接口 协议 "
    "浏览器 移动端 操作系统 内核 文件 权限 加密 认证 开发者 工程师 产品 设计 体验 用户 增长 运营 "
    "周刊 文章 教程 资源 新闻 观点 访谈 播客 视频 图片 书籍 课程 面试 招聘 创业 融资 市场 行业"
).split()
EN_WORDS = (  # noqa: SIM905
    "data model system service performance cache queue search index storage network security "
    "frontend backend container cluster monitor logging compiler debugger testing deploy release "
    "open source community tool framework language async thread process memory disk kernel file "
    "python rust golang javascript typescript java kotlin swift react vue django flask postgres "
    "sqlite redis kafka docker kubernetes linux windows browser mobile design user growth startup "
    "machine learning neural network transformer attention inference training dataset benchmark "
    "the a of and to in for with on how why what guide tutorial introduction deep dive notes"
).split()
TAGS = [f"tag{i}" for i in range(150)] + ["大模型", "数据库", "前端", "安全", "云原生", "rust"]
CATEGORIES = [
    "硬件加速",
    "模型算法",
    "计算基础",
    "实用工具",
    "生活杂谈",
    "文章",
    "工具",
    "资源",
    "新闻",
    "代码",
    "Tools",
    "Articles",
    "Data",
    "Web",
    "Mobile",
]


def synthetic_text(rng):
    """(title, annotation): runs of Chinese words and English words, as real issues mix them."""

    def words(low, high):
        parts = []
        for _ in range(rng.randint(low, high)):
            if rng.random() < 0.55:
                parts.append("".join(rng.choice(ZH_WORDS) for _ in range(rng.randint(1, 3))))
            else:
                parts.append(
                    rng.choice(EN_WORDS).capitalize()
                    if rng.random() < 0.2
                    else rng.choice(EN_WORDS)
                )
        return " ".join(parts)

    return words(3, 10), words(10, 45)


def scratch_database(suffix, reuse=False):
    """(DATABASE_URL, cleanup) of a database beside the configured one: a temporary SQLite
    file, or a PostgreSQL database named ``<name>_<suffix>``. The configured database is
    never touched."""
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        path = Path(tempfile.gettempdir()) / f"newsletter-{suffix}.sqlite3"
        if not reuse:
            for extension in ("", "-wal", "-shm"):
                Path(f"{path}{extension}").unlink(missing_ok=True)
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"{default['NAME']}_{suffix}"
    if not reuse:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + name

    def drop():
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return url, drop


def production_env(database_url, **overrides):
    """The environment of a process running as in production (DEBUG off, a fresh secret)
    on ``database_url``, served over plain http on loopback (no https redirect, no HSTS)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "newsletter.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "LOG_LEVEL": "ERROR",
            **overrides,
        }
    )
    return env


class LocalHTTPServer(ThreadingHTTPServer):
    """An HTTP server for benchmarks and tests on this machine: a thread a request, and a
    listen() backlog of 128 (the default 5 drops connections made at once, and a dropped
    SYN waits a second)."""

    daemon_threads = True
    request_queue_size = 128


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url, attempts=200):
    """Until ``url`` answers; False if it never does."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                response.read()
                return True
        except OSError:
            time.sleep(0.05)
    return False


def collect_static(env):
    """collectstatic in ``env`` (production storage needs its manifest)."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Gunicorn:
    """``with Gunicorn(env) as url:`` gunicorn in ``env`` on a free port of 127.0.0.1 (sync
    workers, preloaded), stopped on the way out."""

    def __init__(self, env, workers=2, log=None, options=()):
        self.env, self.workers, self.log, self.options = env, workers, log, list(options)
        self.url = f"http://127.0.0.1:{free_port()}"

    def __enter__(self):
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "newsletter.wsgi"]
            + ["--bind", self.url.removeprefix("http://"), "--workers", str(self.workers)]
            + ["--no-control-socket", "--preload", *self.options],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        if output is not subprocess.DEVNULL:
            output.close()  # the child holds its own
        if not wait_for(self.url + "/healthz"):
            self.__exit__()
            raise RuntimeError("gunicorn did not start")
        return self.url

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
