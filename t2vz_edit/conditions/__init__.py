"""The conditions layer: per-frame control maps (canny, pose, depth, soft edge), clip-wide depth
normalisation and an on-disk cache.

>>> import numpy as np
>>> frames = np.zeros((2, 32, 48, 3), np.uint8); frames[:, 8:24, 16:32] = 255
>>> maps = make_annotator("canny")(frames)
>>> maps.shape, maps.dtype, int(maps.max())
((2, 32, 48, 3), dtype('uint8'), 255)
"""
from t2vz_edit.conditions.base import Annotator, Param
from t2vz_edit.conditions.compute import ConditionMaps, MapChunk, compute_maps
from t2vz_edit.conditions.registry import available_kinds, make_annotator, register_annotator

__all__ = ["Annotator", "Param", "ConditionMaps", "MapChunk", "compute_maps", "available_kinds",
           "make_annotator", "register_annotator"]
