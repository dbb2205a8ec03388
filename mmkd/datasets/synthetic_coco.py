# Copyright (c) mmkd contributors. All rights reserved.
"""A seeded generator of small COCO-format detection datasets (official ``instances_*.json`` schema).

Coloured shapes on textured backgrounds: images of varied size, objects from small to large that overlap,
some images without objects, a few ``iscrowd`` regions, and non-contiguous category ids (as in COCO). Used by
``make demo``, the end-to-end tests and the detection benchmark; not a substitute for COCO.
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

#: (name, BGR colour, shape); category ids are deliberately non-contiguous.
CATEGORIES = (
    (1, 'red_box', (40, 40, 220), 'box'),
    (3, 'green_disc', (60, 200, 60), 'disc'),
    (7, 'blue_triangle', (220, 90, 40), 'triangle'),
    (12, 'yellow_diamond', (40, 220, 230), 'diamond'),
    (15, 'magenta_ring', (200, 60, 200), 'ring'),
    (21, 'cyan_cross', (210, 210, 60), 'cross'),
)


def class_names(num_classes: int) -> Tuple[str, ...]:
    """Names of the first ``num_classes`` categories (for a config's ``metainfo``)."""
    return tuple(c[1] for c in CATEGORIES[:num_classes])


def _draw(img: np.ndarray, shape: str, color, x: int, y: int, w: int, h: int) -> None:
    cx, cy = x + w // 2, y + h // 2
    if shape == 'box':
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), color, -1)
    elif shape == 'disc':
        cv2.ellipse(img, (cx, cy), (max(w // 2, 1), max(h // 2, 1)), 0, 0, 360, color, -1)
    elif shape == 'triangle':
        pts = np.array([[cx, y], [x, y + h - 1], [x + w - 1, y + h - 1]], np.int32)
        cv2.fillPoly(img, [pts], color)
    elif shape == 'diamond':
        pts = np.array([[cx, y], [x + w - 1, cy], [cx, y + h - 1], [x, cy]], np.int32)
        cv2.fillPoly(img, [pts], color)
    elif shape == 'ring':
        thick = max(2, min(w, h) // 5)
        cv2.ellipse(img, (cx, cy), (max(w // 2 - thick // 2, 1), max(h // 2 - thick // 2, 1)), 0, 0, 360, color,
                    thick)
    else:  # cross
        tw, th = max(w // 3, 1), max(h // 3, 1)
        cv2.rectangle(img, (x, cy - th // 2), (x + w - 1, cy + th // 2), color, -1)
        cv2.rectangle(img, (cx - tw // 2, y), (cx + tw // 2, y + h - 1), color, -1)


def _box_rle(x: int, y: int, w: int, h: int, width: int, height: int) -> dict:
    """Compressed RLE (COCO's crowd format) of a box over the whole image."""
    from pycocotools import mask as mask_utils
    mask = np.zeros((height, width), dtype=np.uint8, order='F')
    mask[y:y + h, x:x + w] = 1
    rle = mask_utils.encode(mask)
    return dict(size=[int(v) for v in rle['size']], counts=rle['counts'].decode('ascii'))


def _make_split(rng: np.random.Generator, img_dir: str, num_images: int, num_classes: int,
                size_range: Tuple[int, int], max_objects: int, first_id: int) -> Dict:
    images, annotations = [], []
    cats = CATEGORIES[:num_classes]
    ann_id = first_id * 100
    for i in range(num_images):
        img_id = first_id + i
        width, height = (int(v) for v in rng.integers(size_range[0], size_range[1] + 1, size=2))
        img = rng.normal(110, 25, size=(height, width, 3)).clip(0, 255).astype(np.uint8)
        img = cv2.GaussianBlur(img, (5, 5), 0)
        num_objects = 0 if rng.random() < 0.1 else int(rng.integers(1, max_objects + 1))
        for _ in range(num_objects):
            cat_id, _, color, shape = cats[int(rng.integers(len(cats)))]
            side = min(width, height)
            scale = float(np.exp(rng.uniform(np.log(0.08), np.log(0.7))))  # small ... large
            w = max(6, int(side * scale * rng.uniform(0.7, 1.3)))
            h = max(6, int(side * scale * rng.uniform(0.7, 1.3)))
            w, h = min(w, width - 1), min(h, height - 1)
            x = int(rng.integers(0, width - w))
            y = int(rng.integers(0, height - h))
            jitter = rng.integers(-25, 26, size=3)
            _draw(img, shape, tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(color, jitter)), x, y, w, h)
            ann_id += 1
            crowd = int(rng.random() < 0.03)
            annotations.append(
                dict(id=ann_id, image_id=img_id, category_id=cat_id, bbox=[float(x), float(y), float(w), float(h)],
                     area=float(w * h), iscrowd=crowd,
                     segmentation=_box_rle(x, y, w, h, width, height) if crowd else
                     [[x, y, x + w, y, x + w, y + h, x, y + h]]))
        file_name = f'{img_id:08d}.jpg'
        cv2.imwrite(osp.join(img_dir, file_name), img, [cv2.IMWRITE_JPEG_QUALITY, 92])
        images.append(dict(id=img_id, file_name=file_name, width=width, height=height))
    categories = [dict(id=c[0], name=c[1], supercategory='shape') for c in cats]
    return dict(info=dict(description='mmkd synthetic shapes', version='1.0'), licenses=[], images=images,
                annotations=annotations, categories=categories)


def generate_synthetic_coco(root: str,
                            num_train: int = 200,
                            num_val: int = 50,
                            num_classes: int = 4,
                            size_range: Sequence[int] = (128, 224),
                            max_objects: int = 6,
                            seed: int = 0) -> str:
    """Write ``root/{train,val}/*.jpg`` and ``root/annotations/instances_{train,val}.json`` if missing.

    The dataset is regenerated only when the arguments differ from those recorded in ``root/.params``.

    Args:
        root (str): Output folder.
        num_train (int): Training images.
        num_val (int): Validation images.
        num_classes (int): 1-6 categories.
        size_range (tuple): Min and max image side.
        max_objects (int): Objects per image (0 in about 10% of images).
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    if not 1 <= num_classes <= len(CATEGORIES):
        raise ValueError(f'num_classes must be in [1, {len(CATEGORIES)}], got {num_classes}.')
    params = json.dumps(dict(num_train=num_train, num_val=num_val, num_classes=num_classes,
                             size_range=list(size_range), max_objects=max_objects, seed=seed, version=1),
                        sort_keys=True)
    marker = osp.join(root, '.params')
    if osp.isfile(marker):
        with open(marker) as f:
            if f.read() == params:
                return root
    rng = np.random.default_rng(int(hashlib.sha256(params.encode()).hexdigest()[:8], 16))
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split, num, first in (('train', num_train, 1), ('val', num_val, 1_000_000)):
        img_dir = osp.join(root, split)
        os.makedirs(img_dir, exist_ok=True)
        coco = _make_split(rng, img_dir, num, num_classes, tuple(size_range), max_objects, first)
        with open(osp.join(root, 'annotations', f'instances_{split}.json'), 'w') as f:
            json.dump(coco, f)
    with open(marker, 'w') as f:
        f.write(params)
    return root


def count_annotations(root: str, split: str) -> List[int]:
    """Objects per image of a generated split (for tests and reports)."""
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        coco = json.load(f)
    per_image = {img['id']: 0 for img in coco['images']}
    for ann in coco['annotations']:
        per_image[ann['image_id']] += 1
    return list(per_image.values())
