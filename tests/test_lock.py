"""The set-up is reproducible: the environment the suite runs in holds exactly the versions
pinned in requirements.lock, so a fresh machine tests what the last one passed with."""
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_every_pinned_package_is_installed_at_its_pin():
    pins = _pins()
    assert "torch" in pins and "numpy" in pins and "opencv-python-headless" in pins
    for name, version in pins.items():
        installed = Version(metadata.version(name))
        # torch's local label (+cpu, +cu130) names the build, not the release.
        assert installed.public == Version(version).public, name


def test_every_dependency_of_the_package_is_pinned():
    pins = _pins()
    requirements = metadata.requires("deblur") or []
    needed = {canonicalize_name(r.split(";")[0].split("[")[0].split(">")[0].split("<")[0]
                                .split("=")[0].strip())
              for r in requirements if "extra ==" not in r or "extra == \"dev\"" in r}
    assert needed <= set(pins), needed - set(pins)
