"""Verbs of the `newscrawler` command, one module each (see newscrawler.cli)."""
