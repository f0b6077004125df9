"""Conformance suite for the Coder AI Tasks API."""

__version__ = "0.1.0"
