"""Neural-network layers with PyTorch's names, arguments, parameter layouts and state_dict keys."""
from . import functional, init, parallel, utils
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .linear import Bilinear, Flatten, Identity, Linear, Unflatten
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module
from .loss_extra import (
    CosineSimilarity, GaussianNLLLoss, HuberLoss, KLDivLoss, MarginRankingLoss, PairwiseDistance,
    PixelShuffle, SmoothL1Loss, TripletMarginLoss,
)
from .data_parallel import DataParallel
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm, LocalResponseNorm
from .parameter import Parameter
from .sync_batchnorm import SyncBatchNorm
from .pooling import (
    AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AvgPool1d,
    AvgPool2d, LPPool1d, LPPool2d, MaxPool1d,
    MaxPool2d,
)
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .attention import AdditiveAttention, DotAttention, GeneralAttention, MultiheadAttention
from .esn import EchoStateNetwork
from .gradient_flow import GradientFlow, gradient_flow
from .jordan import JordanRNN
from .leaky import LeakyRNN, SkipRNN
from .mut import MUT, HighwayRNN, HighwayRNNCell, MUT1Cell, MUT2Cell, MUT3Cell
from .recurrent_family import Recurrent
from .recursive import RecursiveNN
from .tdnn import AR, NARX, TDNN
from .transformer import (
    Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer,
)
