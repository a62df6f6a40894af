"""Downloader middlewares of the crawl, one concern a module."""
