"""Data: datasets, samplers, the DataLoader, text utilities and dataset loaders.

    from gradwise.data import DataLoader, TensorDataset
    from gradwise.data.datasets import load_mnist

Imports only ``gradwise.core`` (and NumPy / the standard library).
"""
from . import datasets
from .distributed import DistributedSampler
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate, pad_collate
from .random_samplers import SubsetRandomSampler, WeightedRandomSampler
from .workers import WorkerInfo, get_worker_info
from .sampler import (
    BatchSampler, BucketBySequenceLengthSampler, RandomSampler, Sampler, SequentialSampler,
)
from .text import (
    SPECIALS, Vocab, bptt_windows, char_tokenize, lm_batchify, num_bptt_windows, word_tokenize,
)
