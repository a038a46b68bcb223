"""MediaPipe FaceMesh indices (478 points with iris), named by the *subject's* side.

In an unmirrored video the subject's right is on the image's left: index 61 (mouth corner),
33 (outer eye corner), 159 (upper lid) and 468 (iris centre) are the subject's RIGHT.
Checked on real photos in ``tests/track/test_facemesh.py``; the indices and their sources are in
the project's shared ``REFERENCE.md``.
"""

from __future__ import annotations

from typing import Literal

Side = Literal["right", "left"]
SIDES: tuple[Side, Side] = ("right", "left")

N_LANDMARKS = 478

MOUTH_CORNER = {"right": 61, "left": 291}
EYE_OUTER = {"right": 33, "left": 263}
EYE_INNER = {"right": 133, "left": 362}
UPPER_LID = {"right": 159, "left": 386}
LOWER_LID = {"right": 145, "left": 374}
IRIS_CENTRE = {"right": 468, "left": 473}
# Iris contour: (centre+1 .. centre+4). In image space one pair lies left/right of the centre,
# the other above/below; geometry picks the horizontal pair by position, not by index order.
IRIS_CONTOUR = {"right": (469, 470, 471, 472), "left": (474, 475, 476, 477)}
BROW_UPPER = {"right": (70, 63, 105, 66, 107), "left": (300, 293, 334, 296, 336)}
BROW_MID = {"right": 105, "left": 334}
CHEEK = {"right": 50, "left": 280}
# Nasolabial region: points lateral to the ala, along the upper part of the fold.
NASOLABIAL = {"right": (203, 206, 216), "left": (423, 426, 436)}
# A second point in each region, 4-14 mm from the region's main point (about one optical-flow
# patch, 6 mm, apart, so the two measurements share few pixels): a tremor moves the skin of a
# region together, tracking noise does not. The skin above and lateral to the mouth
# corner (186; a lip-border point tracks poorly along the border and followed the landmark
# model's guess), the upper lid lateral to its middle (161), the lower brow contour under the
# brow middle (52) and the lower cheek medial to the cheek point (205). Distances measured on
# the test faces: 3.9-9, 7-9, 4-7 and 10-14 mm.
NEAR = {
    "mouth": {"right": 186, "left": 410},
    "eye": {"right": 161, "left": 388},
    "brow": {"right": 52, "left": 282},
    "cheek": {"right": 205, "left": 425},
}
NOSE_TIP = 1
FOREHEAD = 10
CHIN = 152
UPPER_LIP_CENTRE = 0
LOWER_LIP_CENTRE = 17

# Points that facial expressions hardly move, for the rigid head pose. The nasal bridge and
# dorsum sit on bone and cartilage; the medial canthi are held by the medial canthal tendon
# (lids move, the inner corners do not); the upper forehead midline moves only with a strong
# brow raise (frontalis pulls the skin of the lower forehead most). The nose tip, glabella
# (frown), lids, cheeks, lips and jaw contour are left out on purpose.
STABLE = (168, 6, 197, 195, 5, 151, 10, 133, 362, 245, 465, 193, 417)

# Inner-lip points next to each mouth corner (upper, lower): the lip line near the corner runs from
# their midpoint to the outer corner (61 / 291); the commissure is looked for along it.
INNER_LIP_NEAR_CORNER = {"right": (191, 95), "left": (415, 324)}
# The ala (nostril wing), where the nasolabial fold starts (REFERENCE.md: 129 / 358).
ALA = {"right": 129, "left": 358}

# Inner lip centres: how far the lips are apart (the mouth open or closed).
INNER_LIP_CENTRE = {"upper": 13, "lower": 14}

# Inner lip ring (the mouth opening), for dental show.
INNER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95)

# Regions whose skin texture anchors the head alignment (polygons of landmark indices): the
# upper forehead (above the part that a brow raise wrinkles) and the nasal bridge and dorsum
# (bone and cartilage; the alae, which move with the nasolabial fold, are left out).
ANCHOR_REGIONS = (
    (10, 338, 297, 299, 9, 69, 67, 109),
    (168, 417, 351, 419, 197, 196, 122, 193),
    (197, 419, 248, 195, 5, 4, 45, 3, 196),
)

# Outlines drawn by the coach's magnifying mirror and avatar (polylines of landmark indices;
# the rings close on their first point).
OUTER_LIP = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146, 61)
EYE_RING = {
    "right": (33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7, 33),
    "left": (263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249, 263),
}
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176,
             149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109, 10)
NOSE_LINE = (168, 6, 197, 195, 5, 4, 1)
OUTLINES = (FACE_OVAL, BROW_UPPER["right"], BROW_UPPER["left"], EYE_RING["right"], EYE_RING["left"], NOSE_LINE,
            OUTER_LIP, INNER_LIP + INNER_LIP[:1])


def mirror_side(side: Side) -> Side:
    """Return the other side."""
    return "left" if side == "right" else "right"
