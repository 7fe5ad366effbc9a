"""The quality layer."""
