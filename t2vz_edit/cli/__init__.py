"""The command line: argument parsing, progress display and exit codes (and nothing else)."""
