"""The spec layer: EditSpec, presets, ranges, progress and the error family.

It imports nothing else of the project; every other layer may import it.
"""
