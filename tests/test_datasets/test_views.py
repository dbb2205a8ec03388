"""MLKD's data: FixMatch's RandAugment + Cutout (the official operation list and ranges, Pillow's operations),
two stacked views per sample, and the data preprocessor that normalises every view."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.model import ImgDataPreprocessor
from PIL import Image, ImageEnhance

from mmkd.datasets import CIFAR100Dataset
from mmkd.datasets.transforms import FixMatchRandAugment, StackViews
from mmkd.datasets.transforms import rand_augment as ra
from mmkd.models.data_preprocessors import MultiViewDataPreprocessor
from tests.data_utils import write_cifar100

#: the official augment_list: name -> (lowest, highest magnitude)
OFFICIAL = {'AutoContrast': (0, 1), 'Brightness': (0.05, 0.95), 'Color': (0.05, 0.95), 'Contrast': (0.05, 0.95),
            'Equalize': (0, 1), 'Identity': (0, 1), 'Posterize': (4, 8), 'Rotate': (-30, 30),
            'Sharpness': (0.05, 0.95), 'ShearX': (-0.3, 0.3), 'ShearY': (-0.3, 0.3), 'Solarize': (0, 256),
            'TranslateX': (-0.3, 0.3), 'TranslateY': (-0.3, 0.3)}


def image(seed=0, h=32, w=32):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_operation_list_and_ranges_are_the_official_ones():
    assert {name: (low, high) for name, _, low, high in ra.OPERATIONS} == OFFICIAL


def test_draws_two_operations_with_uniform_magnitudes_then_cutout(monkeypatch):
    calls = []
    ops = [(name, (lambda n: lambda img, v: calls.append((n, v)) or img)(name), low, high)
           for name, _, low, high in ra.OPERATIONS]
    monkeypatch.setattr(ra, 'OPERATIONS', ops)
    np.random.seed(0)
    transform = FixMatchRandAugment()
    for _ in range(400):
        transform(dict(img=image()))
    assert len(calls) == 800
    assert {n for n, _ in calls} == set(OFFICIAL)
    for name, v in calls:
        low, high = OFFICIAL[name]
        assert low <= v <= high, (name, v)
    rotations = [v for n, v in calls if n == 'Rotate']
    assert min(rotations) < -20 and max(rotations) > 20  # both directions, as uniform in [-30, 30]


def test_operations_are_pillows():
    img = Image.fromarray(image(1))
    brightness = dict((n, op) for n, op, _, _ in ra.OPERATIONS)['Brightness']
    assert np.array_equal(np.asarray(brightness(img, 0.3)), np.asarray(ImageEnhance.Brightness(img).enhance(0.3)))
    shear = dict((n, op) for n, op, _, _ in ra.OPERATIONS)['ShearX']
    want = img.transform(img.size, Image.AFFINE, (1, 0.2, 0, 0, 1, 0))
    assert np.array_equal(np.asarray(shear(img, 0.2)), np.asarray(want))


def test_cutout_fills_a_square_with_the_official_colour():
    img = Image.fromarray(np.zeros((32, 32, 3), np.uint8))
    out = np.asarray(ra.cutout(img, 8.0, (16.0, 16.0)))
    filled = (out == (125, 123, 114)).all(-1)
    assert filled.sum() == 81 and filled[12:21, 12:21].all()  # Pillow's rectangle includes both corners
    assert np.asarray(ra.cutout(img, 0.0, (16, 16))).sum() == 0


def test_bgr_images_get_the_same_augmentation():
    rgb = image(2)
    np.random.seed(3)
    out_rgb = FixMatchRandAugment()(dict(img=rgb.copy()))['img']
    np.random.seed(3)
    out_bgr = FixMatchRandAugment(channel_order='bgr')(dict(img=rgb[..., ::-1].copy()))['img']
    assert np.array_equal(out_bgr[..., ::-1], out_rgb) and out_rgb.dtype == np.uint8 and out_rgb.shape == (32, 32, 3)


def test_two_view_cifar_pipeline_and_preprocessor(tmp_path):
    root = write_cifar100(str(tmp_path), num_train=4, num_test=2)
    cfg = Config.fromfile('configs/_base_/datasets/cifar100_two_views.py')
    dataset = CIFAR100Dataset(data_root=root, split='train', pipeline=cfg.train_dataloader.dataset.pipeline)
    np.random.seed(0)
    items = [dataset[i] for i in range(4)]
    assert all(item['inputs'].shape == (2, 3, 32, 32) and item['inputs'].dtype == torch.uint8 for item in items)
    assert any(not torch.equal(item['inputs'][0], item['inputs'][1]) for item in items)
    pre = MultiViewDataPreprocessor(**{k: v for k, v in cfg.data_preprocessor.items() if k != 'type'})
    batch = pre(dict(inputs=[i['inputs'] for i in items], data_samples=[i['data_samples'] for i in items]), True)
    assert batch['inputs'].shape == (4, 2, 3, 32, 32) and len(batch['data_samples']) == 4
    single = ImgDataPreprocessor(**{k: v for k, v in cfg.data_preprocessor.items() if k != 'type'})
    for view in (0, 1):  # every view normalised exactly as one image
        want = single(dict(inputs=[i['inputs'][view] for i in items]), True)['inputs']
        torch.testing.assert_close(batch['inputs'][:, view], want)
    test_item = CIFAR100Dataset(data_root=root, split='test', pipeline=cfg.test_dataloader.dataset.pipeline)[0]
    assert pre(dict(inputs=[test_item['inputs']]), False)['inputs'].shape == (1, 3, 32, 32)  # one view to test
    with pytest.raises(ValueError, match='at least two pipelines'):
        StackViews(pipelines=[[dict(type='PackClsInputs')]])
