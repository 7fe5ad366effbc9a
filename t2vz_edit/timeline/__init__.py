"""The timeline layer: OTIO reading, clip selection, media resolution and writing back."""
