"""``gradwise.nn.modules``: PyTorch's module paths (``nn.modules.rnn.LSTM``,
``nn.modules.sparse.Embedding``, ...) as thin aliases of the classes in ``gradwise.nn``, for
programs that name them in isinstance checks and type annotations."""
from . import (
    module, activation, batchnorm, container, conv, dropout, flatten, linear, loss,
    normalization, pooling, rnn, sparse, transformer, upsampling,
)
from .module import Module
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .flatten import Flatten, Unflatten
from .linear import Bilinear, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .normalization import LayerNorm, LocalResponseNorm
from .pooling import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, LPPool1d, LPPool2d,
    MaxPool1d, MaxPool2d,
)
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase
from .sparse import Embedding
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
from .activation import MultiheadAttention
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
