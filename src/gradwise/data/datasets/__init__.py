"""Loaders for the original dataset files, and embedded synthetic/standard-library data.

Files are looked up under ``root=``, else ``$GRADWISE_DATA``, else ``<repo>/../shared/data``,
else ``~/.cache/gradwise`` (see ``_files``); each is verified against its published sha256.
"""
from ._files import (
    ChecksumError, DatasetNotFoundError, download_root, find_file, search_roots, sha256_of, verify_file,
)
from .conllu import UPOS_TAGS, load_ud_ewt, read_conllu
from .mnist import FASHION_CLASSES, MNIST, FashionMNIST, load_fashion_mnist, load_mnist, read_idx
from .mr import load_mr, read_rt_polarity_tar
from .plaintext import load_text, load_tiny_shakespeare, split_text
from .ptb import load_ptb, read_lm_tokens
from .synthetic import (
    adding_problem, ar_series, copy_task, copy_task_baseline, mackey_glass, narma10, narx_regressors,
    narx_series, sine_series, stdlib_corpus,
)
from .tang import (
    five_char_poems, five_char_quatrains, is_five_char_poem, is_five_char_quatrain, load_tang_poems,
    load_tangshi300, poem_lines, poem_text, read_tang_tar,
)
from .translation import (
    ENG_PREFIXES, filter_pairs, load_eng_fra, normalize_d2l, normalize_tutorial, read_pairs,
)
