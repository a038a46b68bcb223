"""The mouth corners of real palsy photos (Palda) against their hand-placed iBUG-68 landmarks."""

from __future__ import annotations

import numpy as np
from scipy.stats import theilslopes

from smilescope.measures.photo import SIDE_MIN_MM, FacePoints, static_measures
from smilescope.pipeline.photo import analyze_photo
from smilescope.track.facemesh import MediaPipeFaceMesh


def test_halves_fitted_on_their_own_keep_a_droop_that_the_whole_face_fit_pulls_towards_symmetry(shared_data):
    """On the 96 palsy photos, the commissure height difference (right minus left corner below the
    eye line) against the hand landmarks': FaceMesh fitted to the whole face shrinks it towards
    symmetry (its shape model learnt nearly symmetric faces: about 0.7 of the hand landmarks'),
    the halves fitted on their own do not (slope near 1), agree better (median |difference|), and
    name the hand landmarks' lower side in >= 90 % of photos where they differ by >= 2 mm. (The
    1 mm median asked for in issue 14 is not reached: about 1.2 mm, of which the eye line alone
    is 0.5 mm.)"""
    palda = shared_data / "images" / "palda"
    halves, whole, hand = [], [], []
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=4) as det:
        for folder in ("peripheral", "central"):
            for f in sorted((palda / folder).glob("*.[jp][pn]g")):
                npy = f.with_suffix(".npy")
                if not npy.exists():
                    continue
                r = analyze_photo(f, expression="unknown", detector=det)
                if r.whole_face_px is None:
                    continue  # turned beyond the side rule's limit: no halves (and no side named)
                w, h = r.photo.original_size_px  # the points were clicked on a 900 x 900 copy (SOURCES.md)
                pts = FacePoints.from_ibug68(np.load(npy).astype(float) * [w / 900.0, h / 900.0] * r.photo.scale)
                k = r.scale.mm_per_px
                hand.append(static_measures(pts, k)["mouth_corner_difference_mm"])
                halves.append(r.static["mouth_corner_difference_mm"])
                whole.append(static_measures(FacePoints.from_facemesh(r.whole_face_px), k)["mouth_corner_difference_mm"])
    hand, halves, whole = map(np.array, (hand, halves, whole))
    assert len(hand) >= 85

    def slope(x):
        return theilslopes(x, hand)[0]  # robust: a few photos whose hand points missed the mouth

    assert slope(whole) < 0.8 and 0.85 < slope(halves) < 1.15
    assert np.median(np.abs(halves - hand)) < 0.75 * np.median(np.abs(whole - hand))
    clear = np.abs(hand) >= SIDE_MIN_MM
    assert np.mean(np.sign(halves[clear]) == np.sign(hand[clear])) >= 0.9
