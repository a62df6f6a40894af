"""For scrapyd-deploy, which builds the project's egg with `python setup.py bdist_egg`.

Everything (name, version, packages, the `scrapy` entry point naming the settings module)
comes from pyproject.toml; without this file scrapyd-deploy would write its own setup.py,
whose metadata pyproject.toml would override anyway.
"""

from setuptools import setup

setup()
