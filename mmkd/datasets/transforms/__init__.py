from .crop import RandomCropPad, RandomResizedCrop
from .formatting import PackClsInputs

__all__ = ['PackClsInputs', 'RandomCropPad', 'RandomResizedCrop']
