"""Feed exporters (``scrapy crawl nbd -O out.jsonl``): rows in the record's own JSON and CSV forms.

Scrapy's exporters print a datetime as ``isoformat()`` (``+00:00``) and a dict in a CSV cell as
its Python repr. These print what the archive's exports print (newscrawler/record.py): times in
UTC as ``2024-12-03T02:15:00Z``, and in CSV, lists joined with ``"; "`` and mappings as JSON.
Enabled for the json, jsonlines/jsonl/jl and csv formats by FEED_EXPORTERS in settings.py.
"""

from __future__ import annotations

from scrapy.exporters import CsvItemExporter, JsonItemExporter, JsonLinesItemExporter

from newscrawler.record import csv_value, json_value


class RecordJsonItemExporter(JsonItemExporter):
    def serialize_field(self, field, name, value):
        return json_value(super().serialize_field(field, name, value))


class RecordJsonLinesItemExporter(JsonLinesItemExporter):
    def serialize_field(self, field, name, value):
        return json_value(super().serialize_field(field, name, value))


class RecordCsvItemExporter(CsvItemExporter):
    def serialize_field(self, field, name, value):
        # A field's own serializer (none of the record's has one) goes first, as in Scrapy.
        serializer = field.get("serializer")
        return csv_value(serializer(value) if serializer else value)
