"""OpenPose skeletons through controlnet-aux, drawn the way ControlNet openpose expects.

Weights: ``body_pose_model.pth`` (+ ``hand_pose_model.pth`` with ``hands``, ``facenet.pth``
with ``face``) from ``lllyasviel/Annotators`` in the model store, or a folder (param
``weights``). Frames are analysed with their long side at ``resolution`` and the map is resized
back to the frame size.
"""
from __future__ import annotations

import numpy as np

from t2vz_edit.conditions.base import FrameDetector, Param, files_id, resolve_params
from t2vz_edit.conditions.weights import ANNOTATORS_REPO, resolve_weights

BODY, HAND, FACE = "body_pose_model.pth", "hand_pose_model.pth", "facenet.pth"


class PoseAnnotator(FrameDetector):
    kind = "pose"
    PARAMS = {
        "weights": Param(str, ANNOTATORS_REPO, "annotator weights: hub id in the model store, or a folder"),
        "resolution": Param(int, 512, "long side in pixels the detector sees"),
        "hands": Param(bool, False, "also detect and draw hands"),
        "face": Param(bool, False, "also detect and draw face landmarks"),
    }

    def __init__(self, params=None):
        super().__init__(params)
        (_, self.files), = self.weights_needed(self.params)
        self.folder = resolve_weights(self.params["weights"], self.files)

    @classmethod
    def weights_needed(cls, params=None):
        p = resolve_params(cls.kind, cls.PARAMS, params or {})
        return ((p["weights"], (BODY,) + ((HAND,) if p["hands"] else ()) + ((FACE,) if p["face"] else ())),)

    @property
    def weights_id(self) -> str:
        return files_id(self.folder, self.files)

    def _load(self):
        # controlnet-aux's from_pretrained insists on all three files; build from the parts we need.
        from controlnet_aux.open_pose import OpenposeDetector
        from controlnet_aux.open_pose.body import Body
        from controlnet_aux.open_pose.face import Face
        from controlnet_aux.open_pose.hand import Hand

        hand = Hand(str(self.folder / HAND)) if self.params["hands"] else None
        face = Face(str(self.folder / FACE)) if self.params["face"] else None
        return OpenposeDetector(Body(str(self.folder / BODY)), hand, face)

    def detect(self, small: np.ndarray) -> np.ndarray:
        from controlnet_aux.open_pose import draw_poses

        poses = self._detector.detect_poses(small, self.params["hands"], self.params["face"])
        return draw_poses(poses, *small.shape[:2], draw_body=True,
                          draw_hand=self.params["hands"], draw_face=self.params["face"])
