# The README's two commands. Torch is installed first so that pip takes the pinned wheel
# (the CPU build on our machines, the CUDA build on a user's) instead of resolving its own.
# Every other package comes at the version in requirements.lock (a fresh machine gets what the
# suite passed with); `make lock` re-resolves them from pyproject's ranges.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
TORCH_PIN := torch==2.13.0
LOCK := requirements.lock

.PHONY: demo test venv lock clean

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH_PIN)
	$(PIP) install -q -c $(LOCK) -e '.[dev,cluster]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(VENV)/bin/deblur models
	$(VENV)/bin/deblur image samples/pairs/blur -o demo-output/pairs --model fast -y
	$(VENV)/bin/deblur eval --pairs samples/pairs --model fast
	@mkdir -p demo-output
	@echo "== the default export: temporal reference (detail from the sharper frames around each blurred one) =="
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_temporal.mp4 -y \
		--reference samples/city_sharp.mp4
	@echo "== temporal reference + the learned fusion refiner (about two thirds of the speed) =="
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_temporal_refined.mp4 -y \
		--refine --reference samples/city_sharp.mp4
	@echo "== single-frame restoration (--no-temporal: the model alone) =="
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_restored.mp4 -y \
		--no-temporal --reference samples/city_sharp.mp4
	@echo "== to watch: blurred | temporal, side by side =="
	$(VENV)/bin/deblur export samples/city_shake.mp4 -o demo-output/city_side_by_side.mp4 -y \
		--compare side-by-side

test: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Re-resolve the pins: a throwaway venv gets the newest versions pyproject allows, and its
# freeze (less this package) becomes the lock. Run `make test` on the result before committing.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q $(TORCH_PIN)
	.lock-venv/bin/pip install -q -e '.[dev,cluster]'
	{ sed -n '1,3p' $(LOCK); .lock-venv/bin/pip freeze --exclude-editable | grep -v '^torch=='; \
	  echo '$(TORCH_PIN)'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) demo-output
