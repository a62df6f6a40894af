"""Settings: the project's decisions, config.py's defaults, the environment, and the order checks."""

from __future__ import annotations

import pytest


def test_order_dependent_components_out_of_order_refuse_to_start():
    from scrapy.settings import Settings

    from newscrawler.crawl import settings as project
    from newscrawler.crawl.addons import ComponentOrder

    settings = Settings()
    settings.setmodule(project, priority="project")
    ComponentOrder().update_settings(settings)  # the project's own order is right
    settings.set("EXTENSIONS", {**project.EXTENSIONS, "newscrawler.crawl.extensions.CrawlRecord": 420},
                 priority="cmdline")
    with pytest.raises(ValueError, match="Spidermon must come before newscrawler.crawl.extensions.CrawlRecord"):
        ComponentOrder().update_settings(settings)


def test_project_settings_keep_their_decisions_and_take_the_environment(monkeypatch):
    from newscrawler.crawl.runner import project_settings

    monkeypatch.delenv("NEWSCRAWLER_LOG_LEVEL", raising=False)
    monkeypatch.setenv("MONGO_DATABASE", "from_env")
    settings = project_settings()
    assert settings.get("LOG_LEVEL") == "INFO"  # not Scrapy's DEBUG
    assert settings.get("MONGO_DATABASE") == "from_env"
    assert settings.getint("MONGO_BATCH_SIZE") == 100 and settings.getbool("WARC_ENABLED")
    monkeypatch.setenv("NEWSCRAWLER_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("WARC_ENABLED", "off")
    settings = project_settings({"MONGO_DATABASE": "given"})
    assert settings.get("LOG_LEVEL") == "WARNING" and not settings.getbool("WARC_ENABLED")
    assert settings.get("MONGO_DATABASE") == "given"  # -s wins over the environment
