"""Shared torch building blocks used by several model plugins."""
