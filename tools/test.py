# Copyright (c) mmkd contributors. All rights reserved.
"""Evaluate a checkpoint (same command line as MMDetection 3.x tools/test.py).

Works with a student's own config and with the distillation config that trained it: mmkd checkpoints hold
only the student.
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmkd.datasets.coco_check import check_coco_config
from mmkd.utils import (finish_cpu_distributed, main_process_writes_test_log, register_all_modules,
                        setup_cpu_distributed, trusted_local_checkpoints)


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and eval) a model or a distilled student')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out', type=str, help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved. '
        'If specified, it will be automatically saved '
        'to the work_dir/timestamp/show_dir')
    parser.add_argument('--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none', help='job launcher')
    parser.add_argument('--tta', action='store_true')
    # When using PyTorch version >= 2.0.0, the `torch.distributed.launch`
    # will pass the `--local-rank` parameter to `tools/train.py` instead
    # of `--local_rank`.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def trigger_visualization_hook(cfg: Config, args) -> Config:
    """Turn on mmdet's DetVisualizationHook for --show / --show-dir."""
    default_hooks = cfg.get('default_hooks', {})
    if 'visualization' not in default_hooks:
        raise RuntimeError('--show and --show-dir need a detection config with '
                           "default_hooks.visualization=dict(type='DetVisualizationHook').")
    visualization_hook = default_hooks['visualization']
    visualization_hook['draw'] = True
    if args.show:
        visualization_hook['show'] = True
        visualization_hook['wait_time'] = args.wait_time
    if args.show_dir:
        visualization_hook['test_out_dir'] = args.show_dir
    return cfg


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    setup_cpu_distributed(cfg)

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    if args.tta:
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise RuntimeError('--tta needs `tta_model` and `tta_pipeline` in the config.')
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        test_data_cfg = cfg.test_dataloader.dataset
        while 'dataset' in test_data_cfg:
            test_data_cfg = test_data_cfg['dataset']
        test_data_cfg.pipeline = cfg.tta_pipeline

    check_coco_config(cfg, 'test')  # a broken annotation file fails now, with its name

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    main_process_writes_test_log(runner)  # one writer of the test metrics file under tools/dist_test.sh

    if args.out is not None:
        assert args.out.endswith(('.pkl', '.pickle')), 'The dump file must be a pkl file.'
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))

    with trusted_local_checkpoints():  # load_from / --resume: MMEngine checkpoints under torch >= 2.6
        runner.test()
    finish_cpu_distributed(cfg)  # CPU multi-process runs: leave together, skip gloo's exit-time teardown


if __name__ == '__main__':
    main()
