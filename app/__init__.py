"""Cyber Spotter: volunteers spot wildlife trafficking online, experts triage, companies take listings down."""

__version__ = "0.1.0"
