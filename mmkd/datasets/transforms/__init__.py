from .crop import RandomCropPad, RandomResizedCrop
from .formatting import PackClsInputs
from .resize import ResizeShortEdge

__all__ = ['PackClsInputs', 'RandomCropPad', 'RandomResizedCrop', 'ResizeShortEdge']
