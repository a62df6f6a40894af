"""The crawl: everything Scrapy loads by class path (settings, spider, middlewares, pipelines, extensions, add-ons)."""
