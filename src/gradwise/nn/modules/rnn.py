"""``nn.modules.rnn``: PyTorch's module path for these layers (defined in ``gradwise.nn``)."""
from ..rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
