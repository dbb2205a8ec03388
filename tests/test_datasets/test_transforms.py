"""mmkd's classification transforms: RandomCropPad, InceptionCrop, ResizeShortEdge, PackClsInputs."""
import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mmkd.datasets.transforms import InceptionCrop, PackClsInputs, RandomCropPad, ResizeShortEdge
from mmkd.registry import TRANSFORMS


def image(h: int, w: int, c: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(1, 256, size=(h, w, c) if c else (h, w)).astype(np.uint8)


def test_registered():
    for name in ('RandomCropPad', 'InceptionCrop', 'ResizeShortEdge', 'PackClsInputs'):
        assert TRANSFORMS.get(name) is not None, name
    assert isinstance(TRANSFORMS.build(dict(type='ResizeShortEdge', scale=8)), ResizeShortEdge)


def test_random_crop_pad():
    img = image(32, 32)
    t = RandomCropPad(size=32, padding=4)
    seen_pad = False
    for seed in range(20):
        np.random.seed(seed)
        out = t(dict(img=img.copy()))
        assert out['img'].shape == (32, 32, 3) and out['img'].dtype == np.uint8
        assert out['img_shape'] == (32, 32)
        seen_pad |= bool((out['img'] == 0).all(-1).any())  # zero padding shows (the image has no zeros)
        # the crop is the padded image at some offset: find it
        padded = np.pad(img, ((4, 4), (4, 4), (0, 0)))
        assert any(np.array_equal(padded[y:y + 32, x:x + 32], out['img']) for y in range(9) for x in range(9))
    assert seen_pad
    assert RandomCropPad(size=(28, 30), padding=0)(dict(img=image(28, 30, 0)))['img'].shape == (28, 30)


@pytest.mark.parametrize('size,shape', [(224, (224, 224, 3)), ((20, 30), (20, 30, 3))])
def test_random_resized_crop(size, shape):
    np.random.seed(0)
    out = InceptionCrop(size)(dict(img=image(50, 80)))
    assert out['img'].shape == shape and out['img'].dtype == np.uint8
    assert out['img_shape'] == shape[:2]


def test_random_resized_crop_falls_back_to_center():
    img = image(40, 60)
    t = InceptionCrop(size=40, scale=(1.0, 1.0), ratio=(3.0, 3.0))  # a 3:1 crop of the whole area never fits
    out = t(dict(img=img))
    # as torchvision: the whole width, clamped to the 3:1 ratio (60 x 20), centred, then resized
    np.testing.assert_array_equal(out['img'], mmcv.imresize(img[10:30, :], (40, 40)))


@pytest.mark.parametrize('hw,out_hw', [((300, 400), (256, 341)), ((400, 300), (341, 256)), ((128, 128), (256, 256)),
                                       ((375, 500), (256, 341)), ((512, 1024), (256, 512))])
def test_resize_short_edge(hw, out_hw):
    results = ResizeShortEdge(256)(dict(img=image(*hw), img_shape=hw, ori_shape=hw))
    assert results['img'].shape == out_hw + (3, )
    assert results['img_shape'] == out_hw
    assert results['ori_shape'] == hw
    assert results['scale'] == out_hw[::-1]
    assert results['scale_factor'] == pytest.approx((out_hw[1] / hw[1], out_hw[0] / hw[0]))
    assert results['keep_ratio'] is True


def test_resize_short_edge_grey_and_values():
    out = ResizeShortEdge(6)(dict(img=np.full((3, 9), 77, dtype=np.uint8)))
    assert out['img'].shape == (6, 18) and (out['img'] == 77).all()
    with pytest.raises(ValueError, match='positive int'):
        ResizeShortEdge((256, 256))


def test_resize_then_center_crop():
    pipeline = [TRANSFORMS.build(dict(type='ResizeShortEdge', scale=256)),
                TRANSFORMS.build(dict(type='CenterCrop', crop_size=224))]
    results = dict(img=image(300, 500))
    for t in pipeline:
        results = t(results)
    assert results['img'].shape == (224, 224, 3) and results['img_shape'] == (224, 224)


def test_pack_cls_inputs():
    img = image(5, 7)
    packed = PackClsInputs()(dict(img=img, gt_label=3, img_shape=(5, 7), ori_shape=(10, 14), sample_idx=2,
                                  extra='not packed'))
    assert packed['inputs'].shape == (3, 5, 7) and packed['inputs'].dtype == torch.uint8
    assert torch.equal(packed['inputs'], torch.from_numpy(img).permute(2, 0, 1))
    sample = packed['data_samples']
    assert isinstance(sample, BaseDataElement)
    assert sample.gt_label.dtype == torch.long and sample.gt_label.tolist() == [3]
    assert sample.img_shape == (5, 7) and sample.ori_shape == (10, 14) and sample.sample_idx == 2
    assert 'extra' not in sample.metainfo_keys()


def test_pack_cls_inputs_grey_without_label():
    packed = PackClsInputs(meta_keys=())(dict(img=image(4, 6, 0)))
    assert packed['inputs'].shape == (1, 4, 6)
    assert 'gt_label' not in packed['data_samples'] and not packed['data_samples'].metainfo_keys()
