"""The media layer."""
