"""For `scrapyd-deploy`, which builds an egg with `python setup.py bdist_egg`.

pyproject.toml stays the source of truth. On top of it, an egg for Scrapyd needs the
subpackages of the listed packages and the `scrapy` entry point naming the settings module,
which Scrapyd's runner looks up in the egg. Both are added after pyproject.toml has been read
(setuptools lets pyproject.toml override anything passed to `setup()`), and neither overrides
what pyproject.toml already says.
"""

from setuptools import find_packages, setup
from setuptools.dist import Distribution


class _ProjectDistribution(Distribution):
    def parse_config_files(self, *args, **kwargs):
        super().parse_config_files(*args, **kwargs)
        tops = [name for name in self.packages or [] if "." not in name]
        subpackages = [f"{top}.{sub}" for top in tops for sub in find_packages(top)]
        self.packages = sorted({*(self.packages or []), *subpackages})
        entry_points = dict(self.entry_points or {})
        entry_points.setdefault("scrapy", ["settings = crawler.settings"])
        self.entry_points = entry_points


setup(distclass=_ProjectDistribution)
