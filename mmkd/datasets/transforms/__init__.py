from .crop import InceptionCrop, RandomCropPad
from .formatting import PackClsInputs
from .rand_augment import FixMatchRandAugment
from .random_erasing import TimmRandomErasing
from .resize import ResizeShortEdge
from .timm_rand_augment import TimmRandAugment
from .views import StackViews

__all__ = [
    'PackClsInputs', 'RandomCropPad', 'InceptionCrop', 'ResizeShortEdge', 'FixMatchRandAugment', 'StackViews',
    'TimmRandAugment', 'TimmRandomErasing'
]
