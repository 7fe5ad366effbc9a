"""The conditions layer."""
