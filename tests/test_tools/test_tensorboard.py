"""TensorBoard logging, as the README documents it: ``tools/train.py --tensorboard`` adds MMEngine's
``TensorboardVisBackend`` next to the config's ``LocalVisBackend`` (classification and mmdet-based detection
configs alike), and a run writes event files holding the logged training loss into ``<timestamp>/vis_data``."""
import glob
import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from .utils import CIFAR_TEACHER, ENV, ROOT, opts, run_tool, train_log

pytest.importorskip('tensorboard', reason='the tensorboard package is not installed (pip install ".[tensorboard]"; '
                    'make test installs it)')
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

DETECTION = 'configs/rkkd/kd-rkkd_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
BOTH = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]


def train_module():
    spec = importlib.util.spec_from_file_location('mmkd_tools_train', osp.join(ROOT, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('config', [CIFAR_TEACHER, DETECTION])
def test_flag_adds_the_backend_next_to_the_local_one(config):
    cfg = Config.fromfile(config)
    visualizer_type = cfg.visualizer.type
    enable = train_module().enable_tensorboard
    enable(cfg)
    enable(cfg)  # once only
    assert cfg.visualizer.vis_backends == BOTH
    assert cfg.visualizer.type == visualizer_type  # mmdet's DetLocalVisualizer stays


def test_flag_without_tensorboard_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'tensorboard', None)  # import tensorboard -> ImportError
    with pytest.raises(ImportError, match=r'pip install tensorboard'):
        train_module().enable_tensorboard(Config.fromfile(CIFAR_TEACHER))


def test_config_form_of_the_readme(tmp_path):
    """The other documented form: a config of one's own that sets the visualizer's backends."""
    path = tmp_path / 'with_tensorboard.py'
    path.write_text(f"_base_ = 'mmkd::{DETECTION[len('configs/'):]}'\n"
                    "visualizer = dict(vis_backends=[dict(type='LocalVisBackend'), "
                    "dict(type='TensorboardVisBackend')])\n")
    cfg = Config.fromfile(str(path))
    assert cfg.visualizer.vis_backends == BOTH and cfg.visualizer.type == 'DetLocalVisualizer'


def test_train_writes_event_files_with_the_loss(data, tmp_path):
    work = str(tmp_path / 'work')
    run_tool('tools/train.py', CIFAR_TEACHER, '--work-dir', work, '--tensorboard', '--cfg-options', *opts(data),
             env=ENV)
    events = glob.glob(osp.join(work, '*', 'vis_data', 'events.out.tfevents.*'))
    assert len(events) == 1, events
    accumulator = EventAccumulator(events[0])
    accumulator.Reload()
    assert {'loss', 'loss_cls', 'lr', 'accuracy/top1'} <= set(accumulator.Tags()['scalars'])
    logged = [line for line in train_log(work) if 'loss' in line]  # LocalVisBackend's scalars.json is still written
    loss = accumulator.Scalars('loss')
    assert [event.step for event in loss] == [line['step'] for line in logged] == [1, 2]
    assert [event.value for event in loss] == pytest.approx([line['loss'] for line in logged], rel=1e-6)
