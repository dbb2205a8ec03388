"""Every config under configs/ builds its model (no data, no checkpoints), uses mmkd's default scope and follows
mmdet's naming scheme; method folders document their configs (README.md, metafile.yml, model-index.yml); a
``*-rkkd`` config is its base method's config for the same pair plus the RKKD term and nothing else."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.fileio import load

from mmkd.registry import MODELS

CONFIGS = sorted(
    path for path in glob.glob('configs/**/*.py', recursive=True)
    if '_base_' not in path.split(osp.sep)[:-1])  # files inside any _base_ folder are fragments
METHOD_FOLDERS = ('kd', 'dkd', 'dist', 'pld', 'ctkd', 'mlkd', 'rkkd')
DATASETS = ('cifar100', 'in1k', 'fashion-mnist', 'coco', 'synthetic-coco', 'synthetic-coco-bench')
SCHEDULE = r'(\d+xb\d+-)?\d+(e|x)'
COMPONENT = r'[a-z0-9]+(-[a-z0-9]+)*'
#: {method}_{teacher}_{student}_{extras}_{schedule}_{dataset}.py (mmdet's scheme, the batch layout with the schedule)
DISTILL_NAME = re.compile(rf'^(?P<method>{COMPONENT})_(?P<teacher>{COMPONENT})_(?P<student>{COMPONENT})'
                          rf'(_{COMPONENT})*_{SCHEDULE}_(?P<dataset>{"|".join(DATASETS)})\.py$')
#: {model or algorithm}_{components}_{schedule}_{dataset}.py
SINGLE_NAME = re.compile(rf'^{COMPONENT}(_{COMPONENT})*_{SCHEDULE}_({"|".join(DATASETS)})\.py$')


def test_configs_found():
    assert len(CONFIGS) > 140
    assert 'configs/rkkd/kd-rkkd_r32x4_r8x4_1xb64-240e_cifar100.py' in CONFIGS
    assert not any('/_base_/' in path for path in CONFIGS)
    assert sorted({path.split(osp.sep)[1] for path in CONFIGS}) == sorted(
        METHOD_FOLDERS + ('vanilla', 'retinanet', 'faster_rcnn'))


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIGS)
def test_config_builds_model(path):
    cfg = Config.fromfile(path)
    assert cfg.get('default_scope') == 'mmkd', f'{path}: default_scope is {cfg.get("default_scope")!r}'
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIGS)
def test_config_name_follows_the_scheme(path):
    folder, name = path.split(osp.sep)[1], osp.basename(path)
    if folder in METHOD_FOLDERS:
        match = DISTILL_NAME.match(name)
        assert match, f'{name}: expected {{method}}_{{teacher}}_{{student}}_{{extras}}_{{schedule}}_{{dataset}}.py'
        method = match['method']
        assert method == folder or (folder == 'rkkd' and method.endswith('-rkkd')), (folder, method)
    else:
        assert SINGLE_NAME.match(name), f'{name}: expected {{model}}_{{components}}_{{schedule}}_{{dataset}}.py'


@pytest.mark.parametrize('folder', METHOD_FOLDERS)
def test_method_folder_has_readme_and_metafile_listing_every_config(folder):
    readme = f'configs/{folder}/README.md'
    with open(readme, encoding='utf-8') as f:
        text = f.read()
    assert '```bibtex' in text and '## Method' in text
    assert re.search(r'\]\(https://(arxiv\.org/abs|openaccess\.thecvf\.com)/', text), 'the paper is linked'
    configs = sorted(p for p in CONFIGS if p.split(osp.sep)[1] == folder)
    for path in configs:
        assert f'(./{osp.basename(path)})' in text, f'{readme} does not list {path}'
    meta = load(f'configs/{folder}/metafile.yml')
    assert sorted(m['Config'] for m in meta['Models']) == configs
    assert meta['Collections'][0]['README'] == readme
    for model in meta['Models']:
        for result in model.get('Results', []):
            assert osp.isdir(result['Logs']), f'{model["Name"]}: results without their logs'
    assert f'configs/{folder}/metafile.yml' in load('model-index.yml')['Import']


RKKD_CONFIGS = [p for p in CONFIGS if p.startswith('configs/rkkd/')]


@pytest.mark.parametrize('path', RKKD_CONFIGS, ids=RKKD_CONFIGS)
def test_rkkd_config_is_its_base_method_config_plus_the_rkkd_term(path):
    name = osp.basename(path)
    base_method = name.split('_', 1)[0][:-len('-rkkd')]
    rest = name.split('_', 1)[1]
    for form in ('_product', '_sign'):  # an RKKD form is an extra of the RKKD config only
        rest = rest.replace(form + '_', '_')
    base_path = f'configs/{base_method}/{base_method}_{rest}'
    with open(path) as f:
        assert f"_base_ = '../{base_method}/{base_method}_{rest}'" in f.read(), f'{path} must inherit {base_path}'
    cfg, base = Config.fromfile(path).to_dict(), Config.fromfile(base_path).to_dict()
    losses = cfg['model'].pop('distill_losses')
    base_losses = base['model'].pop('distill_losses')
    assert cfg == base, f'{path} changes more than the distillation losses of {base_path}'
    assert set(losses) - set(base_losses) == {'loss_rkkd'} and losses['loss_rkkd']['type'] == 'RKKDLoss'
    assert {k: v for k, v in losses.items() if k != 'loss_rkkd'} == base_losses
    # gamma = the base method's KD weight (RKKD Eq. 8; CTKD wraps its KD loss), except for the transformer students
    # of RKKD Table 4, whose recipe (App. A.2) sets gamma = 0.5 beside the KD weight 1
    base_loss = next(iter(base_losses.values()))
    kd_weight = base_loss['loss']['loss_weight'] if base_loss['type'] == 'CTKDLoss' else base_loss['loss_weight']
    if name.endswith('_adamw_1xb128-300e_cifar100.py'):
        assert (losses['loss_rkkd']['loss_weight'], kd_weight) == (0.5, 1.0)
    else:
        assert losses['loss_rkkd']['loss_weight'] == kd_weight


@pytest.mark.parametrize('path', RKKD_CONFIGS, ids=RKKD_CONFIGS)
def test_rkkd_config_writes_only_the_rkkd_term(path):
    """The base method's hyper-parameters live in its own config only (e.g. DKD's beta = 2 for R56 -> R20)."""
    with open(path) as f:
        text = f.read()
    assert re.findall(r"type='(\w+)'", text) == ['RKKDLoss'], path
    assert 'beta' not in text and 'tau' not in text and 'lr=' not in text, path


def expand(pattern: str):
    """``{a,b}`` alternatives and the pair placeholder ``P`` (any pair) of docs/coverage.md as globs."""
    match = re.search(r'\{([^}]*)\}', pattern)
    if match:
        return [g for alt in match[1].split(',')
                for g in expand(pattern[:match.start()] + alt + pattern[match.end():])]
    return [pattern.replace('_P_', '_*_').replace('<student>', '*')]


def test_coverage_table_names_existing_configs():
    with open('docs/coverage.md', encoding='utf-8') as f:
        text = f.read()
    patterns = re.findall(r'`((?:vanilla|kd|dkd|dist|pld|ctkd|mlkd|rkkd|\{[a-z,]+\})/[^`]+\.py)`', text)
    assert len(patterns) > 20
    for pattern in patterns:
        for glob_pattern in expand(pattern):
            assert glob.glob(osp.join('configs', glob_pattern)), f'docs/coverage.md: no config matches {pattern}'
