"""The seeded COCO-format generator (mmkd/datasets/synthetic_coco.py)."""
import os.path as osp

import numpy as np
import pytest
from pycocotools.coco import COCO

from mmkd.datasets.synthetic_coco import CATEGORIES, count_annotations, generate_synthetic_coco

SMALL = dict(num_train=60, num_val=6, size_range=(32, 48), seed=3)


def ann(root, split='train'):
    return osp.join(root, 'annotations', f'instances_{split}.json')


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    return generate_synthetic_coco(str(tmp_path_factory.mktemp('coco')), **SMALL)


def test_same_seed_same_files(small, tmp_path):
    other = generate_synthetic_coco(str(tmp_path / 'again'), **SMALL)
    for split in ('train', 'val'):
        with open(ann(small, split), 'rb') as a, open(ann(other, split), 'rb') as b:
            assert a.read() == b.read()
    with open(osp.join(small, 'train', '00000001.jpg'), 'rb') as a, \
            open(osp.join(other, 'train', '00000001.jpg'), 'rb') as b:
        assert a.read() == b.read()
    third = generate_synthetic_coco(str(tmp_path / 'seed4'), **{**SMALL, 'seed': 4})
    with open(ann(small), 'rb') as a, open(ann(third), 'rb') as b:
        assert a.read() != b.read()


def test_existing_set_is_not_rewritten(small):
    mtime = osp.getmtime(ann(small))
    generate_synthetic_coco(small, **SMALL)
    assert osp.getmtime(ann(small)) == mtime


def test_loads_with_pycocotools(small):
    coco = COCO(ann(small))
    assert coco.getCatIds() == [1, 3, 7, 12]  # num_classes=4: COCO-like gaps between ids
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == [c[1] for c in CATEGORIES[:4]]
    assert len(coco.getImgIds()) == SMALL['num_train']
    for img in coco.loadImgs(coco.getImgIds()):
        assert 32 <= img['width'] <= 48 and 32 <= img['height'] <= 48
        assert osp.isfile(osp.join(small, 'train', img['file_name']))
    for a in coco.loadAnns(coco.getAnnIds()):
        img = coco.imgs[a['image_id']]
        x, y, w, h = a['bbox']
        assert x >= 0 and y >= 0 and x + w <= img['width'] and y + h <= img['height'] and w > 0 and h > 0
        assert a['category_id'] in coco.cats
        assert coco.annToMask(a).sum() > 0
    val = COCO(ann(small, 'val'))
    assert not set(val.getImgIds()) & set(coco.getImgIds())


def test_empty_images_and_crowd_boxes(small):
    per_image = count_annotations(small, 'train')
    assert 0 in per_image and max(per_image) <= 6
    coco = COCO(ann(small))
    crowd = [a for a in coco.loadAnns(coco.getAnnIds()) if a['iscrowd']]
    assert crowd, 'no crowd region in 60 images'
    for a in crowd:
        assert isinstance(a['segmentation'], dict) and set(a['segmentation']) == {'size', 'counts'}
        x, y, w, h = (int(v) for v in a['bbox'])
        mask = coco.annToMask(a)
        assert mask.sum() == w * h and mask[y:y + h, x:x + w].all()
    assert np.mean([n == 0 for n in per_image]) < 0.5


def test_bad_num_classes(tmp_path):
    with pytest.raises(ValueError, match='num_classes'):
        generate_synthetic_coco(str(tmp_path), num_classes=7)
