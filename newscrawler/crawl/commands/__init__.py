"""The project's own Scrapy commands (COMMANDS_MODULE): they replace Scrapy's of the same name."""
