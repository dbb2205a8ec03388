# Copyright (c) mmkd contributors. All rights reserved.
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmkd (and mmdet) module so that they are registered.

    Args:
        init_default_scope (bool): Also make ``mmkd`` the current default scope (as ``default_scope='mmkd'``
            in a config does). Defaults to True.
    """
    import mmdet.utils
    mmdet.utils.register_all_modules(init_default_scope=False)
    import mmkd.datasets  # noqa: F401,F811
    import mmkd.distillers  # noqa: F401,F811
    import mmkd.engine  # noqa: F401,F811
    import mmkd.evaluation  # noqa: F401,F811
    import mmkd.losses  # noqa: F401,F811
    import mmkd.models  # noqa: F401,F811
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created('mmkd'):
        DefaultScope.get_instance('mmkd', scope_name='mmkd')
    elif current.scope_name != 'mmkd':
        warnings.warn(f'The current default scope "{current.scope_name}" is not "mmkd"; '
                      'register_all_modules forces it to "mmkd".')
        new_instance_name = f'mmkd-{datetime.datetime.now()}'
        DefaultScope.get_instance(new_instance_name, scope_name='mmkd')
