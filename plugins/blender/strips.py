"""Sequencer access that works from Blender 4.2 LTS to 5.x, and placing a render above its source.

Blender 5.0 removed ``SequenceEditor.sequences`` (only ``strips`` remains); 4.2-4.4 have
``sequences``, 4.5 has both. Nothing here imports bpy, so the functions take the scene.
"""
from fractions import Fraction

from .t2vz_ranges import placed_strip, to_source_frames, used_source_range

MAX_CHANNEL = 128  # Blender's sequencer has channels 1..128


def strip_collection(editor):
    """The editor's top-level strips (``strips`` on 4.4+, ``sequences`` before)."""
    strips = getattr(editor, "strips", None)
    return strips if strips is not None else editor.sequences


def all_strips(editor):
    """Every strip, inside meta strips too."""
    found = getattr(editor, "strips_all", None)
    return list(found if found is not None else editor.sequences_all)


def active_movie_strip(scene):
    """The active strip when it is a movie strip, else None."""
    editor = scene.sequence_editor
    strip = editor.active_strip if editor else None
    return strip if strip is not None and strip.type == "MOVIE" else None


def scene_rate(scene):
    """The scene's exact frame rate (fps / fps_base)."""
    return Fraction(scene.render.fps) / Fraction(scene.render.fps_base).limit_denominator(10000)


def movie_rate(strip, scene):
    """The movie's own rate (Blender rounds NTSC to e.g. 23.976...); the scene's when unknown."""
    fps = getattr(strip, "fps", 0) or 0
    if not fps:
        return scene_rate(scene)
    rate = Fraction(fps).limit_denominator(1001)
    return rate


def used_range(strip, scene):
    """Source frames the strip shows and the media's length in source frames."""
    clip, timeline = movie_rate(strip, scene), scene_rate(scene)
    used = used_source_range(int(round(strip.frame_offset_start)), strip.frame_final_duration, clip, timeline)
    return used, to_source_frames(strip.frame_duration, clip, timeline)


def first_free_channel(editor, above, frame_from, frame_to, ignore=()):
    """Lowest unlocked channel > ``above`` with no strip overlapping [frame_from, frame_to)."""
    channels = getattr(editor, "channels", None)
    for channel in range(above + 1, MAX_CHANNEL + 1):
        if channels is not None and channel < len(channels) and channels[channel].lock:
            continue
        busy = any(s.channel == channel and s.frame_final_start < frame_to and frame_from < s.frame_final_end
                   for s in strip_collection(editor) if s.name not in ignore)
        if not busy:
            return channel
    raise RuntimeError("no free unlocked channel above channel {} for frames {}-{}; free a channel above "
                       "the strip".format(above, frame_from, frame_to))


def place_render(scene, source, render_path, head, name):
    """Add ``render_path`` as a movie strip on the first free channel above ``source``.

    The render starts ``head`` source frames before the strip's first used frame; the new strip
    shows the same frames at the same timeline frames. Returns the new strip.
    """
    editor = scene.sequence_editor
    factor = scene_rate(scene) / movie_rate(source, scene)  # timeline frames per source frame
    frame_start, offset, duration = placed_strip(source.frame_start, source.frame_offset_start,
                                                 source.frame_final_duration, head, factor)
    first, stop = frame_start + offset, frame_start + offset + duration
    channel = first_free_channel(editor, source.channel, first, stop)
    strip = strip_collection(editor).new_movie(name, render_path, channel, frame_start)
    strip.frame_offset_start = offset
    strip.frame_final_duration = duration
    if strip.channel != channel:  # Blender moved it (overlap while it had its full length)
        strip.channel = channel
    if (strip.channel, strip.frame_final_start, strip.frame_final_duration) != (channel, first, duration):
        raise RuntimeError("Blender placed the render on channel {} at frame {} for {} frames, expected "
                           "channel {} at {} for {}".format(strip.channel, strip.frame_final_start,
                                                            strip.frame_final_duration, channel, first, duration))
    return strip
