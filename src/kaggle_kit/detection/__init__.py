"""Object detection: torchvision detectors on timm backbones, COCO evaluation, box fusion, detection TTA, detection predictions.

Light on purpose: importing the package loads nothing heavy; import the module you need."""
