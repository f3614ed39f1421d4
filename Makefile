# The README's two commands. Torch is installed first so that pip takes the pinned wheel
# (the CPU build on our machines, the CUDA build on a user's) instead of resolving its own.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
TORCH_PIN := torch==2.13.0

.PHONY: demo test venv clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/deblur models
	$(VENV)/bin/deblur image samples/pairs/blur -o demo-output/pairs --model fast -y
	$(VENV)/bin/deblur eval --pairs samples/pairs --model fast
	@mkdir -p demo-output
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_restored.mp4 -y \
		--reference samples/city_sharp.mp4
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_side_by_side.mp4 -y \
		--compare side-by-side

test: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

clean:
	rm -rf $(VENV) demo-output
