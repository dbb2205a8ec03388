"""ImageNet-style folders and annotation files, with the pipelines of configs/_base_/datasets/imagenet.py."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmkd.datasets import ImageNetDataset

CLASSES = ('n02', 'n01', 'n10')  # not in sorted order on purpose


def write_image(path: str, h: int = 20, w: int = 30, value: int = 0) -> None:
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.full((h, w, 3), value, dtype=np.uint8)
    img[:, :, 2] = 200  # red in BGR
    assert cv2.imwrite(path, img)


@pytest.fixture
def folders(tmp_path):
    """train/<class>/*.png (plus a nested folder and a non-image file) and val/<class>/*.png."""
    for split in ('train', 'val'):
        for c, name in enumerate(CLASSES):
            for i in range(2):
                write_image(str(tmp_path / split / name / f'{i}.png'), value=10 * c + i)
    write_image(str(tmp_path / 'train' / 'n01' / 'sub' / 'deep.png'))
    (tmp_path / 'train' / 'n01' / 'notes.txt').write_text('not an image')
    return tmp_path


def test_class_folders(folders):
    dataset = ImageNetDataset(data_root=str(folders), data_prefix='train')
    assert dataset.metainfo['classes'] == ('n01', 'n02', 'n10')  # sorted: n01 -> 0
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    rel = [(osp.relpath(info['img_path'], str(folders)), info['gt_label']) for info in infos]
    assert rel == [('train/n01/0.png', 0), ('train/n01/1.png', 0), ('train/n01/sub/deep.png', 0),
                   ('train/n02/0.png', 1), ('train/n02/1.png', 1), ('train/n10/0.png', 2), ('train/n10/1.png', 2)]
    val = ImageNetDataset(data_root=str(folders), data_prefix=dict(img_path='val'))
    assert len(val) == 6 and val.get_data_info(5)['gt_label'] == 2


def test_ann_file(folders):
    (folders / 'val.txt').write_text('n10/0.png 7\n\nn01/1.png 0\nn02/0.png  3\n')
    dataset = ImageNetDataset(data_root=str(folders), data_prefix='val', ann_file='val.txt')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [(i['img_path'], i['gt_label']) for i in infos] == [
        (osp.join(str(folders), 'val', 'n10/0.png'), 7), (osp.join(str(folders), 'val', 'n01/1.png'), 0),
        (osp.join(str(folders), 'val', 'n02/0.png'), 3)]
    assert osp.isfile(infos[0]['img_path'])


@pytest.mark.parametrize('line', ['n10/0.png\n', 'n10/0.png seven\n'])
def test_bad_ann_line(folders, line):
    (folders / 'val.txt').write_text('n01/0.png 0\n' + line)
    with pytest.raises(ValueError, match=r'val\.txt:2: expected "path label"'):
        ImageNetDataset(data_root=str(folders), data_prefix='val', ann_file='val.txt')


def test_missing_folder_and_ann_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='image folder .*train does not exist'):
        ImageNetDataset(data_root=str(tmp_path), data_prefix='train')
    with pytest.raises(FileNotFoundError, match='annotation file .*val.txt does not exist'):
        ImageNetDataset(data_root=str(tmp_path), data_prefix='val', ann_file='val.txt')
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='no class folders'):
        ImageNetDataset(data_root=str(tmp_path), data_prefix='empty')


@pytest.mark.parametrize('which', ['train', 'val'])
@pytest.mark.parametrize('config', ['imagenet.py', 'imagenet_rsb.py'])
def test_config_pipelines(folders, which, config):
    cfg = Config.fromfile(f'configs/_base_/datasets/{config}')
    dataset_cfg = cfg[f'{which}_dataloader'].dataset
    dataset = ImageNetDataset(data_root=str(folders), data_prefix=dataset_cfg.data_prefix,
                              pipeline=dataset_cfg.pipeline)
    item = dataset[0]
    assert item['inputs'].shape == (3, 224, 224) and item['inputs'].dtype == torch.uint8
    assert item['data_samples'].gt_label.tolist() == [0]
    assert item['data_samples'].ori_shape == (20, 30)
    assert item['data_samples'].img_shape == (224, 224)
    # a uniform image stays uniform; channels are still BGR (the data preprocessor swaps them)
    assert item['inputs'][2].float().mean() == pytest.approx(200, abs=1)


def test_rsb_evaluation_resizes_to_236_bicubic():
    cfg = Config.fromfile('configs/_base_/datasets/imagenet_rsb.py')
    resize = cfg.val_dataloader.dataset.pipeline[1]
    assert resize == dict(type='ResizeShortEdge', scale=236, interpolation='bicubic')
    assert cfg.test_dataloader.dataset.pipeline[1] == resize and cfg.train_dataloader.batch_size == 256
