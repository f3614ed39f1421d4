"""Gains split by how blurred the input was: the bands of input PSNR and their means."""
import pytest

from engine.measure.evaluation import describe_severity, gain_by_severity


def test_gains_are_split_by_input_psnr():
    scores = [(20.0, 21.0), (21.5, 21.0), (26.0, 26.5), (40.0, 35.0), (32.0, 31.0)]
    bands = gain_by_severity(scores)
    assert bands == [{"input_db": "<22", "count": 2, "gain": pytest.approx(0.25)},
                     {"input_db": "25-28", "count": 1, "gain": pytest.approx(0.5)},
                     {"input_db": ">=32", "count": 2, "gain": pytest.approx(-3.0)}]
    assert describe_severity(bands) == ("gain by input PSNR: <22 dB +0.25 (2), "
                                        "25-28 dB +0.50 (1), >=32 dB -3.00 (2)")
    assert gain_by_severity([]) == []
