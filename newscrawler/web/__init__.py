"""The web app over the archive (``newscrawler serve``): read-only pages and a JSON API.

- ``access``: who may connect: loopback by default, a token to listen anywhere else.
- ``params``: every request parameter, typed and bounded (FastAPI validates them and
  describes them in the OpenAPI document).
- ``reader``: the archive's questions the pages and the API share (search, one article, its
  versions and diff, statistics, crawls, stored images, archived pages).
- ``render``: what pages show: sanitized bodies, snippets, charts (inline SVG drawn here).
- ``app``: the FastAPI application: routes, templates, error answers.

Layer 3, beside the command line: it reads through ``store/`` and ``warc/`` and loads no
Scrapy.
"""
