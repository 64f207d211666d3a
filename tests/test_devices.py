"""Device decisions: Lightning's NVML-based CUDA check is dropped only where NVML cannot be loaded."""

import ctypes
import os

import pytest

from kaggle_kit.training import devices


def fake_cdll(loads: bool):
    def cdll(name):
        if not loads:
            raise OSError(f"{name}: cannot open shared object file")
        return object()
    return cdll


@pytest.mark.parametrize(("loads", "kept"), [(False, False), (True, True)])
def test_nvml_check_is_dropped_only_where_nvml_cannot_load(monkeypatch, loads, kept):
    monkeypatch.setenv(devices.NVML_CHECK, "1")
    monkeypatch.setattr(ctypes, "CDLL", fake_cdll(loads))
    devices.drop_futile_nvml_check()
    assert (devices.NVML_CHECK in os.environ) is kept


def test_an_unset_or_other_nvml_setting_is_left_alone(monkeypatch):
    monkeypatch.setattr(ctypes, "CDLL", fake_cdll(False))
    monkeypatch.delenv(devices.NVML_CHECK, raising=False)
    devices.drop_futile_nvml_check()
    assert devices.NVML_CHECK not in os.environ
    monkeypatch.setenv(devices.NVML_CHECK, "0")
    devices.drop_futile_nvml_check()
    assert os.environ[devices.NVML_CHECK] == "0"
