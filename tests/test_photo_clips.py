"""Hand-held clips made from still photos (`deblur synth --photo`, `deblur data clips`) and
their scoring (`deblur eval --clips`)."""
import json

import av
import cv2
import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio as psnr

from app.cli import main
from engine.measure.clip_evaluation import find_clips, harmed_blocks, worst_stretch
from models.training.dead_leaves import dead_leaves
from models.training.eval_clips import ClipPlan
from models.training.fetch import split_holdout
from models.training.photo_clip import ClipConfig, PhotoClip

SIZE, FRAMES = (160, 96), 12


def _photo(rng: np.random.Generator) -> np.ndarray:
    """A 'photo', 400 x 300 RGB: grey dead-leaves shapes softened a little as a lens does,
    tinted by a smooth colour field (colour detail as fine as the shapes' would be lost to
    4:2:0 chroma in any clip, and cap every frame's PSNR)."""
    grey = cv2.cvtColor(dead_leaves(rng, 400)[50:350], cv2.COLOR_RGB2GRAY)[..., None]
    tint = cv2.resize(rng.integers(0, 256, (3, 4, 3)).astype(np.uint8), (400, 300),
                      interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur((0.7 * grey + 0.3 * tint).astype(np.uint8), (0, 0), 1.0)


@pytest.fixture
def photo_cache(tmp_path):
    """A data cache (manifest + photos) that the content-hash split cuts into 2 training and 2
    held-out photos; photos are drawn until both sides are filled."""
    cache = tmp_path / "cache"
    folder = cache / "x" / "pkg"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    kept = {"train": [], "holdout": []}
    for i in range(100):
        path = folder / f"photo{i}.png"
        cv2.imwrite(str(path), _photo(rng))
        side = "holdout" if split_holdout([path])[1] else "train"
        if len(kept[side]) < 2:
            kept[side].append(path)
        else:
            path.unlink()
        if all(len(v) == 2 for v in kept.values()):
            break
    assert all(len(v) == 2 for v in kept.values()), "100 photos did not fill both sides"
    images = [{"path": p.relative_to(cache).as_posix()} for p in kept["train"] + kept["holdout"]]
    (cache / "manifest.json").write_text(json.dumps({"sources": [], "images": images}))
    return cache, kept


def _decode(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec, pix_fmt = stream.codec_context.name, stream.codec_context.pix_fmt
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    return codec, pix_fmt, frames


@pytest.fixture(scope="module")
def clip_files(tmp_path_factory):
    """A clip made by `deblur synth --photo` (made once: the tests only read it)."""
    tmp_path = tmp_path_factory.mktemp("clip")
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), _photo(np.random.default_rng(0)))
    out = tmp_path / "clip.mp4"
    assert main(["synth", "--photo", str(photo), "-o", str(out), "--size", "160x96",
                 "--frames", str(FRAMES), "--max-blur", "120", "--seed", "2"]) == 0
    return out, tmp_path / "clip.sharp.mkv", tmp_path / "clip.json"


def test_photo_clip_is_h264_of_the_size_asked_with_lossless_truth(clip_files):
    blurred_path, truth_path, info_path = clip_files
    folder = blurred_path.parent
    codec, pix_fmt, blurred = _decode(blurred_path)
    assert (codec, pix_fmt) == ("h264", "yuv420p")
    assert len(blurred) == FRAMES and blurred[0].shape == (SIZE[1], SIZE[0], 3)
    codec, _, truth = _decode(truth_path)
    assert codec == "ffv1" and len(truth) == FRAMES
    info = json.loads(info_path.read_text())
    assert len(info["per_frame"]) == FRAMES and info["crf"] == 21
    assert not list(folder.glob(".*part*"))
    assert main(["synth", "--photo", str(folder / "photo.png"), "-o", str(blurred_path)]) == 2


def test_blur_comes_and_goes_and_the_truth_is_aligned(clip_files):
    blurred_path, truth_path, info_path = clip_files
    blurred, truth = _decode(blurred_path)[2], _decode(truth_path)[2]
    scores = np.array([psnr(t, b) for b, t in zip(blurred, truth)])
    calm = [f["calm"] for f in json.loads(info_path.read_text())["per_frame"]]
    assert any(calm) and not all(calm)
    # A calm frame comes out nearly sharp, a shaky one clearly blurred.
    assert scores.max() > 33 and scores.min() < scores.max() - 8
    assert scores[np.array(calm)].mean() > scores[~np.array(calm)].mean() + 5
    # Each frame matches its own truth better than the next frame's.
    next_scores = np.array([psnr(t, b) for b, t in zip(blurred, truth[1:])])
    assert (scores[:-1] > next_scores).mean() >= 0.75
    assert scores[:-1].mean() > next_scores.mean() + 1


def test_the_object_moves_on_its_own(tmp_path):
    rng = np.random.default_rng(3)
    config = ClipConfig(*SIZE, frames=FRAMES, seed=4)
    clip = PhotoClip(_photo(rng), config, _photo(rng))
    background = PhotoClip(_photo(np.random.default_rng(3)), config, _photo(rng))
    background.texture = None                 # the same camera, without the object
    first, last = (clip.render(i)[1] for i in (0, FRAMES - 1))
    bg_first, bg_last = (background.render(i)[1] for i in (0, FRAMES - 1))

    def centroid(truth, plate):
        ys, xs = np.nonzero(np.abs(truth.astype(int) - plate).sum(axis=2) > 30)
        assert len(xs) > 100                   # the object is in view
        return np.array([xs.mean(), ys.mean()])

    moved = centroid(last, bg_last) - centroid(first, bg_first)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY).astype(np.float32) for f in (bg_first, bg_last)]
    camera = np.array(cv2.phaseCorrelate(grey[0], grey[1])[0])
    assert np.hypot(*(moved - camera)) > 8, (moved, camera)


def test_object_alpha_is_where_the_object_covers_the_truth():
    rng = np.random.default_rng(3)
    config = ClipConfig(*SIZE, frames=FRAMES, seed=4)
    clip = PhotoClip(_photo(rng), config, _photo(rng))
    plate = PhotoClip(_photo(np.random.default_rng(3)), config, None)   # no object
    for index in (0, FRAMES - 1):
        alpha = clip.object_alpha(index)
        assert alpha.shape == SIZE[::-1] and 0 <= alpha.min() and alpha.max() <= 1
        differs = np.abs(clip.render(index)[1].astype(int)
                         - plate.render(index)[1]).max(axis=2) > 0
        assert not differs[alpha == 0].any()          # nothing of it outside its coverage
        assert differs[alpha > 0.5].mean() > 0.9
        assert 0.01 < (alpha > 0.5).mean() < 0.9
    assert plate.object_alpha(0) is None


def test_a_clip_is_made_again_from_its_info(tmp_path):
    rng = np.random.default_rng(5)
    photos = [tmp_path / "scene.png", tmp_path / "object.png"]
    for path in photos:
        cv2.imwrite(str(path), _photo(rng))
    plan = ClipPlan("00_scene", *photos, ClipConfig(*SIZE, frames=4, exposure=0.6, crf=22,
                                                      seed=7))
    info = json.loads(json.dumps({**plan.about(), **plan.clip().info()}))   # as NAME.json
    again = ClipPlan.from_info("00_scene", info)
    assert again == plan
    assert np.array_equal(again.clip().render(3)[1], plan.clip().render(3)[1])


def test_data_clips_come_from_held_out_photos_only(photo_cache, tmp_path, monkeypatch):
    cache, kept = photo_cache
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    out = tmp_path / "clips"
    assert main(["data", "clips", "-o", str(out), "--size", "160x96", "--count", "3",
                 "--frames", "3"]) == 0
    assert len(find_clips(out)) == 3 and not list(out.glob(".*"))
    held_out = {str(p) for p in kept["holdout"]}
    for info_path in sorted(out.glob("*.json")):
        info = json.loads(info_path.read_text())
        assert info["photo"] in held_out and info["object_from"] in held_out
        assert info["object_from"] != info["photo"] and info["frames"] == 3
        assert (out / f"{info_path.stem}.mp4").is_file()
        assert (out / f"{info_path.stem}.sharp.mkv").is_file()


def test_data_clips_from_train_make_a_tuning_set_of_training_photos_only(photo_cache, tmp_path,
                                                                        monkeypatch):
    cache, kept = photo_cache
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    out = tmp_path / "tune"
    assert main(["data", "clips", "-o", str(out), "--size", "160x96", "--count", "2",
                 "--frames", "2", "--from", "train"]) == 0
    training = {str(p) for p in kept["train"]}
    infos = [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]
    assert len(infos) == 2 and all(i["photo"] in training for i in infos)


def test_data_clips_first_makes_only_the_later_clips_and_the_same_ones(photo_cache, tmp_path,
                                                                     monkeypatch, capsys):
    cache, _ = photo_cache
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    common = ["--size", "160x96", "--count", "3", "--frames", "2", "--from", "train"]
    assert main(["data", "clips", "-o", str(tmp_path / "all"), *common]) == 0
    assert main(["data", "clips", "-o", str(tmp_path / "later"), *common, "--first", "1"]) == 0
    made = sorted(p.name for p in (tmp_path / "later").iterdir())
    assert [n for n in made if n.endswith(".json")] == sorted(
        p.name for p in (tmp_path / "all").glob("*.json"))[1:]
    from engine.sources.file import read_all
    for name in made:        # the same clip, however many are made (a container's own ids aside)
        later, whole = tmp_path / "later" / name, tmp_path / "all" / name
        if name.endswith(".json"):
            assert later.read_text() == whole.read_text()
        else:
            pairs = list(zip(read_all(later), read_all(whole), strict=True))
            assert pairs and all(np.array_equal(a.rgb, b.rgb) for a, b in pairs)
    capsys.readouterr()
    assert main(["data", "clips", "-o", str(tmp_path / "none"), *common, "--first", "3"]) == 2
    assert "--first below --count" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_eval_clips_reports_mean_worst_clip_and_worst_stretch(clip_files, weights_dir, tmp_path,
                                                             capsys):
    folder = clip_files[0].parent
    capsys.readouterr()
    assert main(["eval", "--clips", str(folder), "--backend", "torch", "--json",
                 "--record", "test_clips"]) == 0
    report = json.loads(capsys.readouterr().out)
    summary, (row,) = report["summary"], report["rows"]
    assert row["clip"] == "clip" and row["frames"] == FRAMES and len(row["per_frame"]) == FRAMES
    # the worst stretch is the lowest mean gain over any 10 consecutive frames (per_frame is
    # rounded to 3 decimals); a sliding minimum need not lie below the clip's mean gain
    gains = np.array([out - inp for inp, out in row["per_frame"]])
    windows = np.convolve(gains, np.ones(10) / 10, mode="valid")
    assert abs(row["worst_stretch"] - windows.min()) < 2e-3
    assert row["worst_stretch_start"] == int(np.argmin(windows))
    assert summary["worst_clip"]["clip"] == "clip" and summary["worst_stretch"]["frames"] == 10
    assert summary["gain"] == pytest.approx(row["psnr_output"] - row["psnr_input"], abs=1e-3)
    assert sum(b["count"] for b in summary["by_input"]) == FRAMES
    assert 0 <= row["harmed_blocks"] <= 1
    assert summary["harmed_blocks"] == pytest.approx(row["harmed_blocks"], abs=1e-5)
    assert summary["most_harmed_clip"]["clip"] == "clip"
    card = json.loads((weights_dir / "deblurganv2-mobilenet-dsc.json").read_text())
    assert card["metrics"]["test_clips"]["worst_stretch"] == summary["worst_stretch"]
    assert main(["eval", "--clips", str(folder), "--backend", "torch"]) == 0
    text = capsys.readouterr().out
    assert "worst clip" in text and "worst 10-frame stretch" in text and "gain by input" in text
    assert "px blocks made 1 dB or more worse" in text
    assert main(["eval", "--clips", str(tmp_path / "nothing")]) == 2


def test_export_reads_the_lossless_truth_as_reference(clip_files, weights_dir, tmp_path, capsys):
    blurred, truth, _ = clip_files
    assert main(["export", str(blurred), "-o", str(tmp_path / "restored.mp4"), "--backend",
                 "torch", "--reference", str(truth)]) == 0
    assert f"{truth} over {FRAMES} frames" in capsys.readouterr().out


def test_worst_stretch_and_clip_discovery(tmp_path):
    gains = np.array([1.0] * 5 + [-2.0] * 10 + [1.0] * 5)
    assert worst_stretch(gains) == (5, pytest.approx(-2.0))
    assert worst_stretch(np.array([0.5, -0.5, 0.0])) == (0, pytest.approx(0.0))
    for name in ("a.mp4", "a.sharp.mkv", "b.mp4", "b.sharp.mp4", "lonely.mp4", ".c.mp4",
                 ".c.sharp.mkv", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [(b.name, t.name) for b, t in find_clips(tmp_path)] == [
        ("a.mp4", "a.sharp.mkv"), ("b.mp4", "b.sharp.mp4")]


def test_harmed_blocks_counts_the_blocks_made_worse():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 256, (64, 100, 3), dtype=np.uint8)     # 2 x 3 whole blocks
    blurred = np.clip(truth.astype(int) + rng.integers(-6, 7, truth.shape), 0, 255).astype(np.uint8)
    assert harmed_blocks(truth, blurred, blurred) == 0.0
    assert harmed_blocks(truth, blurred, truth) == 0.0             # better everywhere
    worse = blurred.copy()
    worse[32:64, 32:64] = np.clip(worse[32:64, 32:64].astype(int) + 20, 0, 255)
    assert harmed_blocks(truth, blurred, worse) == pytest.approx(1 / 6)
    # a block that stays nearly perfect is no harm (HARM_FLOOR)
    near = truth.copy()
    near[:32:4, :32, 0] ^= 1          # mean square error 0 -> 0.08: 0.35 dB over the floor
    assert harmed_blocks(truth, truth, near) == 0.0


def test_eval_as_exported_scores_the_file_the_export_writes(clip_files, weights_dir, capsys):
    folder = clip_files[0].parent
    runs = {}
    for name, extra in (("memory", []), ("ffv1", ["--as-exported", "ffv1"]),
                        ("x264", ["--as-exported"])):
        capsys.readouterr()
        assert main(["eval", "--clips", str(folder), "--backend", "torch", "--json",
                     *extra]) == 0
        runs[name] = json.loads(capsys.readouterr().out)
    (memory,), (lossless,), (lossy,) = (runs[k]["rows"] for k in ("memory", "ffv1", "x264"))
    # the frames before the encoder are the frames the plain eval scores
    assert lossless["before_encoding"] == pytest.approx(memory["gain"], abs=1e-3)
    assert lossy["before_encoding"] == pytest.approx(memory["gain"], abs=1e-3)
    assert lossless["frames"] == lossy["frames"] == FRAMES
    # FFV1 writes an unchanged clip back as it came (its own samples, its chroma siting said)
    # and keeps the restoration's gain but for the restored pixels' 4:2:0 chroma; x264's
    # quantiser costs more, on the restored file and on a plain transcode alike
    assert lossless["transcoded"] == 0.0
    assert abs(lossless["gain"] - memory["gain"]) < 0.3
    assert lossy["transcoded"] < lossless["transcoded"]
    assert lossy["gain"] < lossless["gain"]
    assert runs["x264"]["summary"]["as_exported"] == {"codec": "libx264", "crf": None}
    # the files' sizes against the clip's: lossless FFV1 is far bigger than x264 at CRF 18
    assert lossy["size_ratio"] > 0 and lossless["size_ratio"] > 2 * lossy["size_ratio"]
    assert lossless["transcoded_size_ratio"] > 2 * lossy["transcoded_size_ratio"] > 0
    assert runs["x264"]["summary"]["transcoded"] == pytest.approx(lossy["transcoded"], abs=1e-3)
    assert main(["eval", "--clips", str(folder), "--backend", "torch", "--as-exported"]) == 0
    assert "the input written by the same encoder unchanged" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [["--as-exported", "--past-only", "--temporal"],
                                   ["--crf", "20"], ["--as-exported", "nosuchcodec"]])
def test_eval_as_exported_refuses_what_an_export_would_not_do(clip_files, extra, capsys):
    capsys.readouterr()
    assert main(["eval", "--clips", str(clip_files[0].parent), *extra]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
