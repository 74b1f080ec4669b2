"""档案助手: a retrieval assistant for county archives. See README.md and service.py."""

__version__ = "0.1.0"
