"""Imagior's MCP server: design templates rendered to images, as tools for AI agents."""

__version__ = "0.1.0"
