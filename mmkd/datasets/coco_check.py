# Copyright (c) mmkd contributors. All rights reserved.
"""Validate COCO ``instances_*.json`` files before hours of training depend on them.

pycocotools and mmdet report a broken annotation file late and cryptically (``KeyError: 7`` for an unknown
category, a JSON error without the file name, a silently ignored annotation of a missing image). ``tools/train.py``
and ``tools/test.py`` run :func:`check_coco_config` first: one clear error naming the file and the problem.
"""
import json
import os.path as osp
from typing import Iterator, List

#: Larger files (e.g. COCO train2017, ~450 MB) are not re-parsed here: that would double start-up time and memory.
MAX_CHECK_BYTES = 100 * 2**20


class CocoAnnotationError(ValueError):
    """A COCO annotation file that cannot be used."""


def check_coco_file(path: str) -> None:
    """Raise :class:`CocoAnnotationError` naming ``path`` and the first problems found.

    Checks: valid JSON with ``images``, ``annotations`` and ``categories`` lists; unique image and category
    ids; every annotation's ``image_id`` and ``category_id`` exist; every ``bbox`` is 4 finite numbers with
    positive width and height.
    """
    try:
        with open(path, encoding='utf-8') as f:
            coco = json.load(f)
    except json.JSONDecodeError as exc:
        raise CocoAnnotationError(f'COCO annotation file {path} is not valid JSON ({exc}); is it truncated?') from exc
    problems: List[str] = []
    if not isinstance(coco, dict) or any(not isinstance(coco.get(k), list) for k in
                                         ('images', 'annotations', 'categories')):
        raise CocoAnnotationError(f'COCO annotation file {path} must be an object with "images", "annotations" '
                                  'and "categories" lists.')
    image_ids = [img.get('id') for img in coco['images']]
    cat_ids = [cat.get('id') for cat in coco['categories']]
    for what, ids in (('image', image_ids), ('category', cat_ids)):
        if len(set(ids)) != len(ids):
            problems.append(f'duplicate {what} ids')
    images, cats = set(image_ids), set(cat_ids)
    for ann in coco['annotations']:
        ann_id = ann.get('id')
        if ann.get('image_id') not in images:
            problems.append(f'annotation {ann_id} refers to image_id {ann.get("image_id")}, which is not in "images"')
        if ann.get('category_id') not in cats:
            problems.append(f'annotation {ann_id} has category_id {ann.get("category_id")}, not in "categories" '
                            f'{sorted(cats)[:20]}')
        bbox = ann.get('bbox')
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            problems.append(f'annotation {ann_id} has bbox {bbox!r}; expected [x, y, width, height]')
        elif not (bbox[2] > 0 and bbox[3] > 0):
            problems.append(f'annotation {ann_id} has a non-positive width or height in bbox {bbox}')
        if len(problems) >= 5:
            break
    if problems:
        raise CocoAnnotationError(f'COCO annotation file {path} is inconsistent: ' + '; '.join(problems[:5]) +
                                  (' ...' if len(problems) > 5 else '') + '.')


PHASES = {'train': ('train', 'val'), 'test': ('test', )}


def _coco_files(cfg, phase: str) -> Iterator[str]:
    """Local COCO annotation files named by a config's datasets and CocoMetric evaluators of ``phase``."""
    for loader in (f'{split}_dataloader' for split in PHASES[phase]):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        while isinstance(dataset.get('dataset'), dict):  # wrappers such as RepeatDataset
            dataset = dataset['dataset']
        if 'Coco' in str(dataset.get('type', '')) and dataset.get('ann_file'):
            yield osp.join(dataset.get('data_root') or '', dataset['ann_file'])
    for evaluator in (f'{split}_evaluator' for split in PHASES[phase] if split != 'train'):
        metrics = cfg.get(evaluator) or []
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            if 'Coco' in str(metric.get('type', '')) and metric.get('ann_file'):
                yield metric['ann_file']


def check_coco_config(cfg, phase: str = 'train') -> None:
    """Check every local COCO annotation file that ``phase`` ('train': train + val, 'test') of a config uses."""
    seen = set()
    for path in _coco_files(cfg, phase):
        if path in seen or '://' in path or not osp.isfile(path) or osp.getsize(path) > MAX_CHECK_BYTES:
            continue
        seen.add(path)
        check_coco_file(path)
