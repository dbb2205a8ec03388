# Copyright (c) mmkd contributors. All rights reserved.
"""ImageNet-style classification folders: ``root/<class>/<image>``, or an annotation file of
``relative/path label`` lines."""
import os
import os.path as osp
from typing import List

from mmengine.dataset import BaseDataset

from mmkd.registry import DATASETS

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class ImageNetDataset(BaseDataset):
    """ImageNet (or any folder-per-class dataset); images are loaded by the pipeline (``LoadImageFromFile``).

    Args:
        data_root (str): Dataset root.
        data_prefix (dict | str): ``dict(img_path='train')``: the image folder under ``data_root``.
        ann_file (str): Optional ``path label`` list (relative to the image folder). Without it, the class
            folders are scanned and sorted alphabetically (``n01440764`` -> 0, ...).
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, data_root: str = 'data/imagenet', data_prefix='train', ann_file: str = '',
                 **kwargs) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise FileNotFoundError(f'ImageNetDataset: annotation file {self.ann_file} does not exist.')
            data_list = []
            with open(self.ann_file, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    parts = line.rsplit(maxsplit=1)
                    if len(parts) != 2 or not parts[1].lstrip('-').isdigit():
                        raise ValueError(f'ImageNetDataset: {self.ann_file}:{lineno}: expected "path label", '
                                         f'got {line!r}.')
                    data_list.append(dict(img_path=osp.join(img_dir, parts[0]), gt_label=int(parts[1])))
            return data_list
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'ImageNetDataset: image folder {img_dir} does not exist '
                                    '(data_root + data_prefix).')
        classes = sorted(d.name for d in os.scandir(img_dir) if d.is_dir())
        if not classes:
            raise FileNotFoundError(f'ImageNetDataset: no class folders in {img_dir}.')
        if 'classes' not in self._metainfo:
            self._metainfo['classes'] = tuple(classes)
        data_list = []
        for label, name in enumerate(classes):
            for root, _, files in sorted(os.walk(osp.join(img_dir, name))):
                for fname in sorted(files):
                    if fname.lower().endswith(IMG_EXTENSIONS):
                        data_list.append(dict(img_path=osp.join(root, fname), gt_label=label))
        if not data_list:
            raise FileNotFoundError(f'ImageNetDataset: no images ({", ".join(IMG_EXTENSIONS)}) in the class folders of '
                                    f'{img_dir}.')
        return data_list
