"""The refined mouth corners against hand-placed iBUG-68 landmarks of real palsy photos (Palda)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from smilescope.measures.photo import SIDE_MIN_MM, FacePoints, static_measures
from smilescope.pipeline.photo import analyze_photo
from smilescope.track.facemesh import MediaPipeFaceMesh


def test_refined_corners_agree_with_hand_landmarks_better_than_facemesh(shared_data):
    """On the 96 palsy photos: the commissure height difference from the refined corners is closer
    to the hand landmarks' than FaceMesh's own corners are (median |difference|), and names the
    hand landmarks' lower side in >= 90 % of photos where they differ by >= 2 mm. (The 1 mm median
    asked for in issue 14 is not reached: about 1.9 mm, of which the eye line alone is 0.5 mm.)"""
    palda = shared_data / "images" / "palda"
    refined, facemesh, hand, n_refined = [], [], [], 0
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4) as det:
        for folder in ("peripheral", "central"):
            for f in sorted((palda / folder).glob("*.[jp][pn]g")):
                npy = f.with_suffix(".npy")
                if not npy.exists():
                    continue
                r = analyze_photo(f, expression="unknown", detector=det)
                w, h = r.photo.original_size_px  # the points were clicked on a 900 x 900 copy (SOURCES.md)
                pts = FacePoints.from_ibug68(np.load(npy).astype(float) * [w / 900.0, h / 900.0] * r.photo.scale)
                k = r.scale.mm_per_px
                hand.append(static_measures(pts, k)["mouth_corner_difference_mm"])
                refined.append(r.static["mouth_corner_difference_mm"])
                fm = replace(r.points, mouth_corner={s: c.facemesh_px for s, c in r.corners.items()})
                facemesh.append(static_measures(fm, k)["mouth_corner_difference_mm"])
                n_refined += sum(c.refined for c in r.corners.values())
    hand, refined, facemesh = map(np.array, (hand, refined, facemesh))
    assert len(hand) >= 90
    assert n_refined >= len(hand)  # most corners show a fissure
    assert np.median(np.abs(refined - hand)) < np.median(np.abs(facemesh - hand))
    clear = np.abs(hand) >= SIDE_MIN_MM
    assert np.mean(np.sign(refined[clear]) == np.sign(hand[clear])) >= 0.9
