"""For `scrapyd-deploy`, which builds an egg with `python setup.py bdist_egg`.

Everything (packages, the `scrapy` settings entry point Scrapyd's runner looks up) is in
pyproject.toml.
"""

from setuptools import setup

setup()
