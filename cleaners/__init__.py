"""Turn fetched bytes into clean report text. Pure Python: no Scrapy imports here."""
