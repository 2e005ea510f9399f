"""ImageFolder data sets (``<root>/{train,val}/<class>/*.jpg``) and the shared preprocessing."""
import os
import threading

import numpy as np
import paddle
from paddle.vision import transforms as T
from paddle.vision.datasets import DatasetFolder
from PIL import Image

from . import UserError

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def resize_short(img_size):
    """Short side before the centre crop: the crop keeps 87.5% of it, as ImageNet evaluation does (224 of 256)."""
    return int(round(img_size / 0.875))


def eval_transform(img_size):
    """Resize the short side to resize_short(img_size), centre-crop, normalize: used by eval AND inference."""
    return T.Compose([
        T.Resize(resize_short(img_size)),
        T.CenterCrop(img_size),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def train_transform(img_size, crop_scale_min=0.08, hflip=True):
    """ImageNet-style augmentation; crop_scale_min and hflip tone it down for data such as digits."""
    steps = [T.RandomResizedCrop(img_size, scale=(crop_scale_min, 1.0))]
    if hflip:
        steps.append(T.RandomHorizontalFlip())
    return T.Compose(steps + [T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def image_folder(data_path, split, img_size, crop_scale_min=0.08, hflip=True):
    """The ``split`` folder of an ImageFolder data set, with a message that says what is wrong."""
    root = os.path.join(data_path, split)
    if not os.path.isdir(root):
        raise UserError(
            f"data set folder {root!r} not found: expected {data_path}/{split}/<class>/*.jpg "
            "(run `bash test_tipc/prepare.sh <config> lite_train_lite_infer` to build lite_data)")
    classes = sorted(d.name for d in os.scandir(root) if d.is_dir())
    if not classes:
        raise UserError(f"no class folders in {root!r}: expected {root}/<class>/*.jpg")
    for name in classes:
        folder = os.path.join(root, name)
        if not any(f.lower().endswith(IMAGE_EXTENSIONS) for f in os.listdir(folder)):
            raise UserError(f"class folder {folder!r} holds no images ({', '.join(IMAGE_EXTENSIONS)})")
    if split == "train":
        transform = train_transform(img_size, crop_scale_min, hflip)
    else:
        transform = eval_transform(img_size)
    return ImageFolder(root, transform=transform, extensions=IMAGE_EXTENSIONS)


class UnreadableImage(UserError):
    """An image file of the data set that cannot be decoded."""


def read_image(path):
    """The image at ``path`` as RGB; a damaged or non-image file is an UnreadableImage naming it."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except Exception as err:  # PIL raises UnidentifiedImageError, OSError (truncated), SyntaxError, ...
        raise UnreadableImage(f"cannot read image {path!r} ({type(err).__name__}: {err}): the file is damaged "
                              "or not an image; replace or remove it (and rebuild the tarball if it came from "
                              "one)") from err


class ImageFolder(DatasetFolder):
    """DatasetFolder that marks an unreadable image instead of raising inside the DataLoader.

    Paddle's DataLoader decodes in a helper thread (or in worker processes): an exception raised there
    leaves the training loop waiting forever for the next batch (single process, Paddle 3.3) or ends it
    with Paddle's own traceback ("Blocking queue is killed", workers > 0). So an unreadable image comes
    back as a blank image with the label ``-1 - index``, and ``SafeLoader`` raises the error, naming the
    file, in the main process before the batch is used.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, loader=read_image, **kwargs)

    def __getitem__(self, index):
        try:
            return super().__getitem__(index)
        except UnreadableImage:
            if threading.current_thread() is threading.main_thread() and paddle.io.get_worker_info() is None:
                raise  # not inside a DataLoader: nothing to protect
            blank = Image.new("RGB", (32, 32))
            return (self.transform(blank) if self.transform is not None else blank), -1 - index


class SafeLoader:
    """Iterates a DataLoader over an ImageFolder and raises the UnreadableImage of a marked sample."""

    def __init__(self, data_loader, dataset):
        self.data_loader = data_loader
        self.dataset = dataset

    def __len__(self):
        return len(self.data_loader)

    def __iter__(self):
        for batch in self.data_loader:
            labels = np.asarray(batch[1].numpy() if hasattr(batch[1], "numpy") else batch[1]).reshape([-1])
            if (labels < 0).any():
                path = self.dataset.samples[-1 - int(labels[labels < 0][0])][0]
                read_image(path)  # raises the error again, here, with the reason
                raise UnreadableImage(f"cannot read image {path!r} in the data loader; replace or remove it")
            yield batch


def loader(dataset, batch_size, shuffle, workers, distributed):
    """A DataLoader whose sampler shards the data over the processes of a distributed launch.

    Training (``shuffle``) drops the last, smaller batch when there is at least one full batch: a batch of 2 images
    gives a meaningless loss line and, with BatchNorm, shifts the running statistics towards 2 samples' statistics.

    Worker processes hand their batches over through pipes, not shared memory: with Paddle's shared-memory transfer
    (its default), about half of the CPU trainings with ``--workers=2`` on 16 images died with "Unexpected
    segmentation fault encountered in DataLoader workers" or hung for ever waiting for a batch, on Paddle 3.3.1 and
    2.6.2 alike (2-core Intel Xeon, 24 GB /dev/shm); with pipes 8 of 8 ran through.
    """
    per_process = -(-len(dataset) // (paddle.distributed.get_world_size() if distributed else 1))
    drop_last = shuffle and per_process >= batch_size
    if distributed:
        sampler = paddle.io.DistributedBatchSampler(dataset, batch_size=batch_size, shuffle=shuffle,
                                                    drop_last=drop_last)
    else:
        sampler = paddle.io.BatchSampler(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    return SafeLoader(paddle.io.DataLoader(dataset, batch_sampler=sampler, num_workers=workers,
                                          use_shared_memory=False), dataset)
