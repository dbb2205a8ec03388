"""A non-editable ``pip install`` ships the configs: ``mmkd::`` paths (``_base_`` and ``cfg_path``) resolve from any
working directory, without the source checkout."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: What a source distribution holds (MANIFEST.in); the build starts from a copy, so the checkout is never touched.
SOURCES = ('mmkd', 'configs', 'tools', 'requirements', 'setup.py', 'MANIFEST.in', 'README.md', 'model-index.yml')

USER_CLS_CFG = """
_base_ = 'mmkd::rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py'
model = dict(student=dict(cfg_path='mmkd::vanilla/r8_1xb64-240e_cifar100.py'))
"""
USER_DET_CFG = """
_base_ = 'mmkd::pld/pld_retinanet-r18_retinanet-mv2_fpn_12e_synthetic-coco.py'
"""
CHECK = """
import os.path as osp, sys
import mmkd
assert mmkd.__file__.startswith(sys.argv[1]), mmkd.__file__
from mmengine.config import Config
from mmengine.hub import get_config
from mmkd.registry import MODELS
from mmkd.utils import register_all_modules
register_all_modules()
mim = osp.join(osp.dirname(mmkd.__file__), '.mim')
assert not osp.islink(osp.join(mim, 'configs')) and osp.isfile(osp.join(mim, 'model-index.yml'))
assert osp.isfile(osp.join(mim, 'tools', 'train.py'))
cls = Config.fromfile('user_cls.py')
assert cls.model.distill_losses.loss_rkkd.type == 'RKKDLoss' and cls.model.distill_losses.loss_kd.tau == 4.0
model = MODELS.build(cls.model)  # student and teacher through cfg_path='mmkd::vanilla/...'
assert model.student.backbone.arch_settings and type(model.student.backbone).__name__ == 'CifarResNet'
assert len(model.student.backbone.layer1) == 1 and len(model.teacher.backbone.layer1) == 5  # resnet8, resnet32x4
det = Config.fromfile('user_det.py')
assert type(MODELS.build(det.model)).__name__ == 'DenseHeadDistiller'
assert get_config('mmkd::kd/kd_r56_r20_1xb64-240e_cifar100.py').model.type == 'ClassificationDistiller'
print('SHIPPED', osp.dirname(mmkd.__file__))
"""


def test_installed_package_resolves_mmkd_configs_from_another_directory(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    for item in SOURCES:
        path = osp.join(ROOT, item)
        if osp.isdir(path):
            shutil.copytree(path, src / item, symlinks=True,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '*.egg-info'))
        else:
            shutil.copy(path, src / item)
    target = tmp_path / 'site'
    proc = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-build-isolation', '--no-index',
                           '--disable-pip-version-check', '-q', '--target', str(target), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    shipped = target / 'mmkd' / '.mim' / 'configs'
    assert (shipped / 'kd' / 'metafile.yml').is_file() and not os.path.islink(shipped)

    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (elsewhere / 'user_cls.py').write_text(textwrap.dedent(USER_CLS_CFG))
    (elsewhere / 'user_det.py').write_text(textwrap.dedent(USER_DET_CFG))
    env = dict(os.environ, PYTHONPATH=str(target))
    proc = subprocess.run([sys.executable, '-c', CHECK, str(target)], cwd=str(elsewhere), capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-5000:]
    assert f'SHIPPED {target}' in proc.stdout
