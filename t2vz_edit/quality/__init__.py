"""The quality layer: temporal consistency and departure from source, arrays in, numbers out.

See :mod:`t2vz_edit.quality.metrics` (``QualityAccumulator``, ``score_arrays``).
"""
from t2vz_edit.quality.metrics import FIGURES, QualityAccumulator, score_arrays

__all__ = ["FIGURES", "QualityAccumulator", "score_arrays"]
