"""timm's training augmentation as mmcv transforms: TimmRandAugment, TimmRandomErasing and InceptionCrop's Pillow
backend, against timm's own outputs and statistics (``timm_augment_reference.npz``, written by
``tests/fixtures/make_timm_augment_fixture.py`` in an environment with timm)."""
import os.path as osp

import numpy as np
import PIL
import pytest
import torch
from mmcv.transforms import RandomFlip
from mmengine.dataset import pseudo_collate
from mmengine.model import ImgDataPreprocessor
from PIL import Image

from mmkd.datasets.transforms import InceptionCrop, PackClsInputs
from mmkd.datasets.transforms.random_erasing import TimmRandomErasing
from mmkd.datasets.transforms.timm_rand_augment import (RAND_INCREASING_TRANSFORMS, RAND_TRANSFORMS, RESAMPLE,
                                                        TimmRandAugment, apply_operation, operation_argument,
                                                        parse_rand_augment_config)
from mmkd.registry import TRANSFORMS

REFERENCE = np.load(osp.join(osp.dirname(__file__), 'timm_augment_reference.npz'))
TIMM_VERSION, TIMM_PILLOW, _ = REFERENCE['versions']
SAME_PILLOW = PIL.__version__ == TIMM_PILLOW
GEOMETRIC = ('Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel')
#: the recipe's data preprocessor: timm's ImageNet mean / std on the 0-255 scale
MEAN, STD = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)


def ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical distribution functions."""
    a, b = np.sort(np.asarray(a, np.float64)), np.sort(np.asarray(b, np.float64))
    grid = np.union1d(a, b)
    return float(np.abs(np.searchsorted(a, grid, 'right') / len(a) - np.searchsorted(b, grid, 'right') / len(b)).max())


def test_registered_names_are_free():
    import json

    from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    fixture = osp.join(osp.dirname(osp.dirname(__file__)), 'fixtures', 'registered_names_mmpretrain.json')
    with open(fixture) as f:
        mmpretrain = set(json.load(f)['names']['TRANSFORMS'])
    assert 'RandomErasing' in MMDET_TRANSFORMS.module_dict and 'RandomErasing' in mmpretrain  # hence 'Timm...'
    for name, cls in (('TimmRandAugment', TimmRandAugment), ('TimmRandomErasing', TimmRandomErasing)):
        assert TRANSFORMS.get(name) is cls
        assert name not in MMDET_TRANSFORMS.module_dict and name not in mmpretrain
    assert isinstance(TRANSFORMS.build(dict(type='TimmRandAugment')), TimmRandAugment)
    assert isinstance(TRANSFORMS.build(dict(type='TimmRandomErasing', mean=MEAN, std=STD)), TimmRandomErasing)


# --- RandAugment --------------------------------------------------------------------------------------------------

def reference_operations():
    for i, key in enumerate(REFERENCE['op_keys']):
        name, magnitude, negate, resample = str(key).split('|')
        yield (name, float(magnitude), bool(int(negate)), resample, REFERENCE['op_args'][i],
               REFERENCE['op_images'][REFERENCE['op_image_index'][i]], bool(REFERENCE['op_raised'][i]))


def test_operations_match_timm():
    """Every operation of both sets at several magnitudes, signs and filters: timm's argument and image."""
    image = Image.fromarray(REFERENCE['image'])
    names, mismatches = set(), []
    for name, magnitude, negate, resample, timm_arg, timm_image, raised in reference_operations():
        names.add(name)
        arg = operation_argument(name, magnitude, negate)
        if np.isnan(timm_arg):
            assert arg is None, name
        else:
            assert arg == pytest.approx(timm_arg, abs=1e-12), (name, magnitude, negate)
        out = np.asarray(apply_operation(image, name, magnitude, negate, RESAMPLE[resample][0], (124, 116, 104)))
        assert out.shape == timm_image.shape and out.dtype == np.uint8
        if raised:  # timm + recent Pillow: posterize(img, 0) raises; mmkd gives black, as older Pillow did
            assert name.startswith('Posterize') and arg == 0 and not out.any(), (name, magnitude)
            continue
        if not np.array_equal(out, timm_image):
            mismatches.append((name, magnitude, negate, resample, int(np.abs(out.astype(int) - timm_image).max())))
    assert names == set(RAND_TRANSFORMS) | set(RAND_INCREASING_TRANSFORMS)
    if SAME_PILLOW:  # the same Pillow calls on the same Pillow: identical
        assert not mismatches
    else:  # another Pillow may resample differently: only the geometric operations may differ, by rounding
        assert all(m[0] in GEOMETRIC and m[-1] <= 2 for m in mismatches), mismatches


def test_operations_do_something():
    image = Image.fromarray(REFERENCE['image'])
    for name in RAND_INCREASING_TRANSFORMS:
        assert not np.array_equal(np.asarray(apply_operation(image, name, 9.)), REFERENCE['image']), name
    # the geometric operations fill the uncovered area with img_mean
    out = np.asarray(apply_operation(image, 'TranslateXRel', 10., False, fill=(1, 2, 3)))
    assert (out[:, -5:] == (1, 2, 3)).all()  # 0.45 * 16 = 7.2 pixels to the left
    assert np.array_equal(np.asarray(apply_operation(image, 'Rotate', 0.)), REFERENCE['image'])


def test_config_parsing_matches_timm():
    for config, num_ops, magnitude, prob, mstd, mmax, names in REFERENCE['config_rows']:
        parsed = parse_rand_augment_config(str(config))
        assert parsed.num_ops == int(num_ops) and parsed.magnitude == int(magnitude)
        assert parsed.prob == float(prob) and parsed.magnitude_std == float(mstd)
        assert (parsed.magnitude_max if parsed.magnitude_max is not None else -1) == int(mmax)
        assert TimmRandAugment(str(config)).operations == tuple(str(names).split(','))
    assert parse_rand_augment_config('rand') == parse_rand_augment_config('rand-m10-n2-p0.5-mstd0-inc0')
    recipe = parse_rand_augment_config('rand-m9-mstd0.5-inc1')
    assert (recipe.magnitude, recipe.num_ops, recipe.prob, recipe.magnitude_std, recipe.increasing) == \
        (9, 2, 0.5, 0.5, True)


@pytest.mark.parametrize('config,match', [
    ('randaug-m9', "start with 'rand'"), ('augmix-m3', "start with 'rand'"), ('rand-m9-tweights', 'not implemented'),
    ('rand-m9-foo', 'cannot parse'), ('rand-q3', 'cannot parse'), ('rand-m9-', 'cannot parse'),
    ('rand-m9-m8', 'twice'), ('rand-m9.5', 'bad value'), ('rand-inc1.0', 'bad value')])
def test_config_errors(config, match):
    with pytest.raises(ValueError, match=match):
        TimmRandAugment(config)


def test_arguments_bad():
    with pytest.raises(ValueError, match='interpolation'):
        TimmRandAugment(interpolation='lanczos')
    with pytest.raises(ValueError, match='channel_order'):
        TimmRandAugment(channel_order='hsv')
    with pytest.raises(ValueError, match='uint8'):
        TimmRandAugment()(dict(img=np.zeros((8, 8, 3), np.float32)))


def test_sampling_matches_timm():
    """Operation choice, application probability, magnitude and sign distributions, with timm's as recorded."""
    t = TimmRandAugment('rand-m9-mstd0.5-inc1')
    np.random.seed(0)
    calls = 20000
    plans = [t.sample_plan() for _ in range(calls)]
    steps = [step for plan in plans for step in plan]
    counts = np.array([sum(step[0] == name for step in steps) for name in t.operations])
    assert list(REFERENCE['ra_names']) == list(t.operations)
    timm_rate = REFERENCE['ra_applied'] / REFERENCE['ra_calls']
    rate, expected = counts / calls, 2 * 0.5 / 15  # n=2 draws from 15, each applied with p=0.5
    sigma = np.sqrt(expected * (1 - expected) / calls)
    assert np.abs(rate - expected).max() < 5 * sigma and np.abs(timm_rate - expected).max() < 5 * sigma
    assert np.abs(rate - timm_rate).max() < 7 * sigma
    assert max(len(plan) for plan in plans) == 2 and abs(np.mean([len(p) == 0 for p in plans]) - 0.25) < 0.015
    magnitudes = np.array([step[1] for step in steps])
    timm_magnitudes = REFERENCE['ra_magnitudes']
    assert ks_distance(magnitudes, timm_magnitudes) < 0.05
    assert magnitudes.min() >= 0 and magnitudes.max() == 10.
    for sample in (magnitudes, timm_magnitudes):  # N(9, 0.5) clipped at 10: 2.3 % at 10
        assert abs(np.mean(sample == 10.) - 0.0228) < 0.01 and abs(np.median(sample) - 9) < 0.05
        assert abs(np.std(sample) - 0.49) < 0.03
    negative = np.mean([step[2] for step in steps])
    assert abs(negative - 0.5) < 0.02 and abs(float(REFERENCE['ra_negative_fraction']) - 0.5) < 0.03
    assert {step[3] for step in steps} == {int(Image.Resampling.BICUBIC)}  # fixed 'bicubic', as the recipe


def test_sampling_variants():
    np.random.seed(1)
    t = TimmRandAugment('rand-m7-mstd101-n3-p1.0', interpolation='random')
    steps = [step for _ in range(3000) for step in t.sample_plan()]
    assert len(steps) == 9000 and t.operations == RAND_TRANSFORMS
    magnitudes = np.array([step[1] for step in steps])  # mstd > 100: uniform in [0, 7]
    assert magnitudes.min() >= 0 and magnitudes.max() <= 7 and abs(magnitudes.mean() - 3.5) < 0.1
    assert abs(np.mean([step[3] == Image.Resampling.BILINEAR for step in steps]) - 0.5) < 0.03
    assert {step[3] for step in steps} == {int(Image.Resampling.BILINEAR), int(Image.Resampling.BICUBIC)}
    fixed = TimmRandAugment('rand-m15-mmax12-p1')
    assert {step[1] for _ in range(50) for step in fixed.sample_plan()} == {12.}  # m above mmax: clipped
    unbounded = TimmRandAugment('rand-m15-p1')
    assert {step[1] for _ in range(50) for step in unbounded.sample_plan()} == {10.}


def test_transform_applies_the_plan():
    img = np.random.default_rng(3).integers(0, 256, (32, 28, 3), dtype=np.uint8)
    plan = [('ShearX', 9.3, True, int(Image.Resampling.BICUBIC)), ('SolarizeAdd', 8.1, False, 3),
            ('ColorIncreasing', 9.9, True, 3)]
    expected = Image.fromarray(img)
    for name, magnitude, negate, resample in plan:
        expected = apply_operation(expected, name, magnitude, negate, resample, (124, 116, 104))
    t = TimmRandAugment()
    t.sample_plan = lambda: plan
    out = t(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, np.asarray(expected))
    bgr = TimmRandAugment(channel_order='bgr')
    bgr.sample_plan = lambda: plan
    np.testing.assert_array_equal(bgr(dict(img=img[..., ::-1].copy()))['img'], out[..., ::-1])
    t.sample_plan = lambda: []
    assert t(dict(img=img))['img'] is img
    np.random.seed(0)
    for _ in range(20):  # the random transform keeps shape and dtype
        out = TimmRandAugment()(dict(img=img))['img']
        assert out.shape == img.shape and out.dtype == np.uint8
    assert 'rand-m9-mstd0.5-inc1' in repr(TimmRandAugment())


# --- RandomErasing ------------------------------------------------------------------------------------------------

def sample_boxes(eraser: TimmRandomErasing, size: int, trials: int) -> np.ndarray:
    """Rows (trial, height, width, top, left) as the fixture's."""
    return np.array([[trial, bh, bw, top, left] for trial in range(trials)
                     for top, left, bh, bw in eraser.sample_boxes(size, size)])


@pytest.mark.parametrize('size,count', [(224, 1), (32, 1), (224, 3), (32, 3)])
def test_erasing_boxes_match_timm(size, count):
    np.random.seed(size + count)
    timm_rows = REFERENCE[f're_boxes_{size}_{count}'].astype(np.int64)
    trials = int(timm_rows[:, 0].max()) + 1
    rows = sample_boxes(TimmRandomErasing(MEAN, STD, prob=1., max_count=count), size, trials)
    # boxes per image: 1 (or 1 to 3), fewer when 10 tries fail (small images)
    per_image = np.bincount(rows[:, 0], minlength=trials)
    timm_per_image = np.bincount(timm_rows[:, 0], minlength=trials)
    assert abs(per_image.mean() - timm_per_image.mean()) < 0.1 and per_image.max() <= count
    if count == 3:
        assert abs(per_image.mean() - 2) < 0.1
    for column in (1, 2):  # height, width
        assert ks_distance(rows[:, column], timm_rows[:, column]) < 0.06
        assert rows[:, column].max() < size and rows[:, column].min() >= 1
    # area fraction of a box times the boxes of its image (timm splits U(min_area, max_area) among them)
    area = rows[:, 1] * rows[:, 2] / size ** 2 * per_image[rows[:, 0]]
    timm_area = timm_rows[:, 1] * timm_rows[:, 2] / size ** 2 * timm_per_image[timm_rows[:, 0]]
    assert ks_distance(area, timm_area) < 0.06
    if size == 224:  # U(0.02, 1/3), up to rounding (the 10 tries never all fail at this size)
        assert area.min() > 0.018 and area.max() < 0.34 and abs(area.mean() - (0.02 + 1 / 3) / 2) < 0.01
    log_aspect = np.log(rows[:, 1] / rows[:, 2])
    assert ks_distance(log_aspect, np.log(timm_rows[:, 1] / timm_rows[:, 2])) < 0.07
    if count == 1:  # uniform position: the free room left of / above the box is used uniformly
        for column, extent in ((3, 1), (4, 2)):
            room, timm_room = size - rows[:, extent], size - timm_rows[:, extent]
            assert (rows[:, column] <= room).all()
            assert ks_distance(rows[:, column] / room, timm_rows[:, column] / timm_room) < 0.06


def test_erasing_pixel_values_and_equivalence():
    """'pixel': after the preprocessor's normalisation, the erased values are N(0, 1) (timm's), the rest unchanged."""
    np.random.seed(0)
    img = np.random.default_rng(0).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    eraser = TimmRandomErasing(MEAN, STD, prob=1.)
    boxes = []
    eraser.sample_boxes = lambda h, w: boxes
    values = []
    for _ in range(3):
        boxes[:] = [(10, 20, 100, 80)]
        out = eraser(dict(img=img.copy()))['img']
        assert out.dtype == np.float32 and out.shape == img.shape
        z = (out - np.float32(MEAN)) / np.float32(STD)
        values.append(z[10:110, 20:100].ravel())
        outside = np.ones((224, 224), bool)
        outside[10:110, 20:100] = False
        np.testing.assert_array_equal(out[outside], img[outside])
    values = np.concatenate(values)
    assert abs(values.mean()) < 0.01 and abs(values.std() - 1) < 0.01
    assert ks_distance(values[:20000], REFERENCE['re_pixel_values']) < 0.04
    assert out.min() < 0 and out.max() > 255  # nothing clipped


@pytest.mark.parametrize('mode', ['rand', 'const'])
def test_erasing_modes(mode):
    np.random.seed(0)
    img = np.full((16, 12, 3), 200, np.uint8)
    eraser = TimmRandomErasing(MEAN, STD, prob=1., mode=mode)
    eraser.sample_boxes = lambda h, w: [(2, 3, 5, 4)]
    z = (eraser(dict(img=img))['img'] - np.float32(MEAN)) / np.float32(STD)
    patch = z[2:7, 3:7]
    assert np.allclose(patch, patch[0, 0], atol=1e-5)  # one value per channel
    if mode == 'const':
        np.testing.assert_allclose(patch, 0, atol=1e-6)
    else:
        assert not np.allclose(patch[0, 0], 0)
    # bgr_to_rgb: the image is BGR, mean/std RGB (the preprocessor's): const fills with the reversed mean
    bgr = TimmRandomErasing(MEAN, STD, prob=1., mode='const', bgr_to_rgb=True)
    bgr.sample_boxes = lambda h, w: [(0, 0, 2, 2)]
    np.testing.assert_allclose(bgr(dict(img=img))['img'][0, 0], MEAN[::-1], rtol=1e-6)


def test_erasing_probability():
    img = np.random.default_rng(1).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    never = TimmRandomErasing(MEAN, STD, prob=0.)
    for _ in range(20):
        out = never(dict(img=img))['img']
        assert out.dtype == np.float32 and np.array_equal(out, img)  # the identity, as float32
    np.random.seed(0)
    recipe = TimmRandomErasing(MEAN, STD)
    assert (recipe.prob, recipe.mode, recipe.min_count, recipe.max_count) == (0.25, 'pixel', 1, 1)
    erased = np.mean([bool(recipe.sample_boxes(224, 224)) for _ in range(4000)])
    assert abs(erased - 0.25) < 0.025
    with pytest.raises(ValueError, match='mode'):
        TimmRandomErasing(MEAN, STD, mode='noise')
    with pytest.raises(ValueError, match='channels'):
        TimmRandomErasing(MEAN, STD)(dict(img=np.zeros((4, 4), np.uint8)))
    assert 'pixel' in repr(recipe)


def test_float_image_through_pack_and_preprocessor():
    """The recipe's pipeline (a float32 image after erasing) through PackClsInputs and ImgDataPreprocessor."""
    pipeline = [InceptionCrop(224, interpolation='bicubic', backend='pillow'), RandomFlip(prob=0.5),
                TimmRandAugment(), TimmRandomErasing(MEAN, STD, prob=1., mode='const'), PackClsInputs()]
    np.random.seed(0)
    samples = []
    for index in range(2):
        results = dict(img=np.random.default_rng(index).integers(0, 256, (32, 32, 3), dtype=np.uint8),
                       gt_label=index, img_shape=(32, 32), ori_shape=(32, 32))
        for t in pipeline:
            results = t(results)
        assert results['inputs'].dtype == torch.float32 and results['inputs'].shape == (3, 224, 224)
        samples.append(results)
    preprocessor = ImgDataPreprocessor(mean=MEAN, std=STD)
    batch = preprocessor(pseudo_collate(samples), training=True)
    inputs = batch['inputs']
    assert inputs.shape == (2, 3, 224, 224) and inputs.dtype == torch.float32
    assert ((inputs == 0).all(1).sum((1, 2)) > 0.015 * 224 * 224).all()  # the erased boxes: 0 once normalised
    # a uint8 and a float32 sample mix in a batch (TimmRandomErasing returns float32 even when not erasing)
    samples[1]['inputs'] = samples[1]['inputs'].round().clamp(0, 255).to(torch.uint8)
    assert preprocessor(pseudo_collate(samples))['inputs'].dtype == torch.float32


# --- InceptionCrop with Pillow's resampling -----------------------------------------------------------------------

def test_inception_crop_pillow_matches_timm():
    img = REFERENCE['rrc_input']
    for box, interpolation, expected in zip(REFERENCE['rrc_boxes'], REFERENCE['rrc_interpolations'],
                                            REFERENCE['rrc_outputs']):
        t = InceptionCrop((36, 30), interpolation=str(interpolation), backend='pillow')
        t._box = lambda h, w, box=box: tuple(int(v) for v in box)
        out = t(dict(img=img))
        assert out['img_shape'] == (36, 30)
        np.testing.assert_array_equal(out['img'], expected)
    # cv2's bicubic differs (another kernel): the default backend is unchanged
    cv2 = InceptionCrop((36, 30), interpolation='bicubic')
    cv2._box = pillow_box = lambda h, w: tuple(int(v) for v in REFERENCE['rrc_boxes'][0])
    pillow = InceptionCrop((36, 30), interpolation='bicubic', backend='pillow')
    pillow._box = pillow_box
    assert cv2.backend == 'cv2' and not np.array_equal(cv2(dict(img=img))['img'], pillow(dict(img=img))['img'])
    with pytest.raises(ValueError, match='backend'):
        InceptionCrop(224, backend='turbojpeg')
    assert "backend='pillow'" in repr(pillow)
