"""newsgen: a static news-site generator."""

# The one place the version is written (pyproject.toml reads it): asking importlib.metadata instead
# costs every command some 80 ms of imports.
__version__ = "0.1.0"
