"""The training side end to end on tiny settings: data, losses, the loop with resume, and the
train / data pairs / eval commands."""
import json

import cv2
import numpy as np
import pytest
import torch

import models
from app.cli import main
from models.training.data import PairedCrops, PhotoCrops, find_pairs
from models.training.dead_leaves import dead_leaves
from models.training.errors import TrainingError
from models.training.fetch import split_holdout
from models.training.loop import Trainer, TrainOptions, train
from models.training.losses import charbonnier, edge_loss


@pytest.fixture
def photos(tmp_path):
    """Small 'photos' (smooth random colour fields) and their manifest, as `deblur data fetch`
    would leave them: 4 that the content-hash split puts in training, then 2 it holds out.
    Photos are drawn until both sides are filled, so the split's outcome on one encoder's
    bytes (they differ between OpenCV builds) decides nothing."""
    cache = tmp_path / "cache"
    folder = cache / "x" / "pkg"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    kept = {"train": [], "holdout": []}
    for i in range(200):
        field = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
        image = cv2.resize(field, (320, 240), interpolation=cv2.INTER_CUBIC)
        path = folder / f"photo{i}.png"
        cv2.imwrite(str(path), image)
        side = "holdout" if split_holdout([path])[1] else "train"
        if len(kept[side]) < {"train": 4, "holdout": 2}[side]:
            kept[side].append(path)
        else:
            path.unlink()
        if len(kept["train"]) == 4 and len(kept["holdout"]) == 2:
            break
    paths = kept["train"] + kept["holdout"]
    assert len(paths) == 6, "200 random photos did not fill both sides of the split"
    manifest = {"sources": [], "images": [{"path": p.relative_to(cache).as_posix()}
                                          for p in paths]}
    (cache / "manifest.json").write_text(json.dumps(manifest))
    return cache, paths


def _options(run_dir, paths, model="fast", steps=4, crop=96):
    return TrainOptions(model=model, steps=steps, run_dir=run_dir, photos=paths[:4],
                        val_photos=paths[4:], batch=2, crop=crop, val_every=2, val_count=2,
                        adv_start=0.5)


def test_photo_crops_and_dead_leaves():
    rng = np.random.default_rng(0)
    leaves = dead_leaves(rng, 96)
    assert leaves.shape == (96, 96, 3) and leaves.dtype == np.uint8
    assert len(np.unique(leaves.reshape(-1, 3), axis=0)) > 50      # many occluding shapes
    batch = PhotoCrops([], 64, seed=0).batch(3)                     # no photos: all leaves
    assert batch.shape == (3, 3, 64, 64) and 0 <= batch.min() and batch.max() <= 1


def test_paired_folders_in_gopro_and_reds_layouts(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (80, 90, 3), dtype=np.uint8)
    for blur_dir, sharp_dir in [("GOPR0001/blur", "GOPR0001/sharp"),
                                ("train_blur/000", "train_sharp/000")]:
        for d in (blur_dir, sharp_dir):
            (tmp_path / d).mkdir(parents=True)
            cv2.imwrite(str(tmp_path / d / "0001.png"), image)
    (tmp_path / "GOPR0001/blur/orphan.png").write_bytes(b"")     # no sharp twin: ignored
    pairs = find_pairs(tmp_path)
    assert len(pairs) == 2 and all(b.name == s.name for b, s in pairs)
    blurred, sharp = PairedCrops(tmp_path, 32, seed=0).batch(4)
    assert torch.equal(blurred, sharp)                 # identical files: identical crops


def test_charbonnier_and_edge_loss():
    a = torch.rand(2, 3, 16, 16)
    assert charbonnier(a, a) == pytest.approx(1e-3, rel=1e-3)
    assert charbonnier(a, a + 0.5) == pytest.approx(0.5, rel=1e-3)
    assert edge_loss(a, a + 0.2) == pytest.approx(1e-3, rel=1e-2)    # offsets have no edges
    assert edge_loss(a, torch.zeros_like(a)) > 0.05


def test_resuming_from_a_checkpoint_continues_the_same_run(photos, tmp_path):
    _, paths = photos
    straight = Trainer(_options(tmp_path / "a", paths))
    for _ in range(4):
        straight.train_step()                           # steps 3-4 include the GAN phase
    first = Trainer(_options(tmp_path / "b", paths))
    first.train_step(), first.train_step()
    first.save_checkpoint(tmp_path / "ckpt.pt")
    second = Trainer(_options(tmp_path / "b", paths))
    second.load_checkpoint(tmp_path / "ckpt.pt")
    second.train_step(), second.train_step()
    for (name, a), b in zip(straight.net.state_dict().items(), second.net.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)


def test_training_writes_log_curves_and_loadable_weights(photos, tmp_path, monkeypatch):
    _, paths = photos
    run_dir = tmp_path / "run"
    weights = train(_options(run_dir, paths, model="quality", steps=2, crop=32))
    rows = (run_dir / "log.csv").read_text().splitlines()
    assert rows[0].startswith("step,loss") and len(rows) == 2
    assert (run_dir / "curves.png").stat().st_size > 1000
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["steps"] == 2 and "val_psnr_out" in card["metrics"]["validation"]
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(run_dir))
    assert models.load("quality").card["steps"] == 2
    with pytest.raises(TrainingError, match="--resume"):
        train(_options(run_dir, paths, model="quality", steps=2, crop=32))
    # A new run can start from published weights.
    options = _options(tmp_path / "again", paths, model="quality", steps=2, crop=32)
    options.init = weights
    restarted = Trainer(options)
    for name, value in models.load("quality").module.state_dict().items():
        torch.testing.assert_close(restarted.net.state_dict()[name], value, msg=name)


def test_train_pairs_and_eval_commands(photos, tmp_path, monkeypatch, capsys):
    cache, paths = photos
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    run_dir = tmp_path / "run"
    assert main(["train", "--model", "fast", "--steps", "2", "--batch", "2", "--crop", "96",
                 "--val-every", "2", "--run-dir", str(run_dir)]) == 0
    pairs = tmp_path / "pairs"
    assert main(["data", "pairs", "-o", str(pairs), "--size", "96x64"]) == 0
    names = sorted(p.name for p in (pairs / "blur").iterdir())
    assert names == sorted(p.name for p in (pairs / "sharp").iterdir())
    # Pairs come from the held-out photos only: no photo is on both sides.
    assert sorted(n.split("_", 1)[1] for n in names) == sorted(p.name for p in paths[4:])
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(run_dir))
    capsys.readouterr()
    assert main(["eval", "--pairs", str(pairs), "--json", "--record", "test_pairs"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] and {"psnr_input", "psnr_output", "ssim_output",
                                "psnr_sharp_kept"} <= set(report["average"])
    least = min(report["rows"], key=lambda r: r["psnr_output"] - r["psnr_input"])
    assert report["worst"]["gain_image"] == least["image"]
    assert report["worst"]["gain"] == pytest.approx(least["psnr_output"] - least["psnr_input"],
                                                    abs=1e-3)
    card = json.loads((run_dir / "deblurganv2-mobilenet-dsc.json").read_text())
    assert card["metrics"]["test_pairs"]["pairs"] == len(report["rows"])
    assert card["metrics"]["test_pairs"]["worst"] == report["worst"]
    grid = tmp_path / "grid.png"
    assert main(["grid", "--pairs", str(pairs), "-o", str(grid), "--count", "2",
                 "--width", "96"]) == 0
    assert cv2.imread(str(grid)).shape == (2 * 64, 3 * 96, 3)   # input / fast / truth


def test_exported_photo_folders_train_without_the_cache(photos, tmp_path, monkeypatch, capsys):
    cache, _ = photos
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    exported = tmp_path / "carry"
    assert main(["data", "export", "-o", str(exported), "--short-side", "120"]) == 0
    train_files = sorted((exported / "train").glob("*.jpg"))
    held_out = sorted((exported / "holdout").glob("*.jpg"))
    assert len(train_files) + len(held_out) == 6 and train_files
    assert min(cv2.imread(str(train_files[0])).shape[:2]) == 120
    monkeypatch.setenv("DEBLUR_DATA", str(tmp_path / "nothing-here"))
    shipped = models.registry.PACKAGED_WEIGHTS / "deblurganv2-mobilenet-dsc.safetensors"
    before = shipped.read_bytes()
    capsys.readouterr()
    # Paused by its time budget after one of two steps: --publish leaves the shipped weights.
    assert main(["train", "--model", "fast", "--steps", "2", "--batch", "1", "--crop", "96",
                 "--photos", str(exported), "--run-dir", str(tmp_path / "run"),
                 "--stop-after", "0", "--publish"]) == 0
    err = capsys.readouterr().err
    assert "paused at step 1 of 2" in err and "not published" in err
    assert (tmp_path / "run" / "deblurganv2-mobilenet-dsc.safetensors").is_file()
    assert shipped.read_bytes() == before


def test_a_time_budget_pauses_at_a_checkpoint_and_resume_finishes(photos, tmp_path):
    _, paths = photos
    run_dir = tmp_path / "run"
    options = _options(run_dir, paths, steps=5)
    options.stop_after = 0.0                            # spent after the first step
    weights = train(options)
    rows = (run_dir / "log.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("1,")  # one step, validated
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["steps"] == 1 and card["planned_steps"] == 5
    with (run_dir / "log.csv").open("a") as log:
        log.write("2,0.5,,,,,,,,\n")                  # logged after the checkpoint, then lost
    options.stop_after, options.resume = None, True
    weights = train(options)
    assert json.loads(weights.with_suffix(".json").read_text())["steps"] == 5
    steps = [row.split(",")[0] for row in (run_dir / "log.csv").read_text().splitlines()[1:]]
    assert steps == ["1", "2", "4", "5"]                 # each step once (val every 2, end)


def test_sigterm_pauses_training_at_a_checkpoint(photos, tmp_path, monkeypatch):
    import os
    import signal
    _, paths = photos
    real_step = Trainer.train_step

    def step_then_terminate(self):
        stats = real_step(self)
        if self.step == 3:
            os.kill(os.getpid(), signal.SIGTERM)        # what a session's end sends
        return stats

    monkeypatch.setattr(Trainer, "train_step", step_then_terminate)
    run_dir = tmp_path / "run"
    train(_options(run_dir, paths, steps=8))
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert state["step"] == 3
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL   # the handler is put back


def test_bf16_steps_match_fp32_and_keep_fp32_weights(photos, tmp_path):
    _, paths = photos
    losses = {}
    for precision in ("fp32", "bf16"):
        options = _options(tmp_path / precision, paths, model="quality", crop=32)
        options.precision = precision
        trainer = Trainer(options)
        assert trainer.precision == precision
        losses[precision] = [trainer.train_step()["loss"] for _ in range(2)]
        assert all(p.dtype == torch.float32 for p in trainer.net.parameters())
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.05)   # same data, same seed


def test_bf16_is_chosen_only_where_the_cpu_has_it(tmp_path):
    from models.training.precision import cpu_has_bf16, resolve_precision
    with_bf16, without = tmp_path / "a", tmp_path / "b"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert cpu_has_bf16(with_bf16) and not cpu_has_bf16(without)
    assert not cpu_has_bf16(tmp_path / "missing")
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"


def test_sharp_in_set_and_its_evaluation(photos, tmp_path, monkeypatch, capsys):
    """`data sharp` writes every variant of every held-out photo plus video frames; `eval
    --sharp` scores each against itself and records the mean and the worst in the card."""
    cache, paths = photos
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    sharp = tmp_path / "sharp"
    assert main(["data", "sharp", "-o", str(sharp), "--size", "96x64", "--video",
                 "samples/city_sharp.mp4", "--video-frames", "2"]) == 0
    names = sorted(p.name for p in sharp.iterdir())
    kinds = {n.split(".")[-2] for n in names}
    assert kinds == {"plain", "bright", "saturated", "dark", "noisy", "h264"}
    photos_used = {n.split(".")[0].split("_", 1)[1] for n in names if not n.startswith("video")}
    assert len(names) == 2 * 6 + 2 and photos_used == {p.stem for p in paths[4:]}
    bright = cv2.imread(str(next(sharp.glob("*.bright.png"))))
    dark = cv2.imread(str(next(sharp.glob("*.dark.png"))))
    assert bright.mean() > dark.mean() + 60 and (bright == 255).mean() > 0.05   # it clips
    run_dir = tmp_path / "run"
    assert main(["train", "--model", "fast", "--steps", "1", "--batch", "2", "--crop", "96",
                 "--val-count", "2", "--run-dir", str(run_dir)]) == 0
    monkeypatch.setenv("DEBLUR_WEIGHTS_DIR", str(run_dir))
    capsys.readouterr()
    assert main(["eval", "--sharp", str(sharp), "--backend", "torch", "--json",
                 "--record", "sharp_in"]) == 0
    report = json.loads(capsys.readouterr().out)
    kept = [r["psnr_kept"] for r in report["rows"]]
    assert len(kept) == len(names)
    assert report["summary"]["psnr_kept_worst"] == pytest.approx(min(kept), abs=1e-3)
    assert report["summary"]["below_target"] == [r["image"] for r in report["rows"]
                                                 if r["psnr_kept"] < 38]
    card = json.loads((run_dir / "deblurganv2-mobilenet-dsc.json").read_text())
    assert card["metrics"]["sharp_in"] == report["summary"]


def test_noise_free_pairs_keep_the_same_shake_without_the_noise(photos, tmp_path, monkeypatch):
    cache, _ = photos
    monkeypatch.setenv("DEBLUR_DATA", str(cache))
    for name, extra in (("noisy", []), ("clean", ["--noise-free"])):
        assert main(["data", "pairs", "-o", str(tmp_path / name), "--size", "96x64",
                     "--per-photo", "3", *extra]) == 0
    names = sorted(p.name for p in (tmp_path / "clean" / "blur").iterdir())
    read = lambda *parts: cv2.imread(str(tmp_path.joinpath(*parts))).astype(np.float32)  # noqa: E731
    fine = lambda image: float(np.mean(cv2.Laplacian(image, cv2.CV_32F) ** 2))  # noqa: E731
    differing = 0
    for name in names:
        assert np.array_equal(read("clean", "sharp", name), read("noisy", "sharp", name))
        clean, noisy = read("clean", "blur", name), read("noisy", "blur", name)
        # the same blur: the two agree once the noise is smoothed away
        smooth = lambda image: cv2.GaussianBlur(image, (0, 0), 2.0)  # noqa: E731
        assert np.abs(smooth(clean) - smooth(noisy)).mean() < 1.5
        assert fine(clean) <= fine(noisy) + 1e-3
        differing += not np.array_equal(clean, noisy)
    assert differing > 0             # some of the default pairs carry sensor noise
