"""Batches: instruction files over footage folders, a resumable journal, local and Ray runners."""
