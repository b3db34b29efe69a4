"""pytorch/examples' word_language_model, shrunk: Embedding-LSTM-Linear with tied init,
batchify, get_batch, repackage_hidden, clip_grad_norm_ and the manual SGD update
``p.data.add_(p.grad, alpha=-lr)``; a random token stream stands in for Wikitext-2.
Evaluation batches come from torch.utils.data."""
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.0):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.init_weights()
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return torch.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def batchify(data, bsz, device):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


def get_batch(source, i, bptt=5):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


NTOKENS = 30


def build():
    torch.manual_seed(0)
    return (RNNModel(NTOKENS, 8, 12, 2),)


def train(modules, steps):
    (model,) = modules
    device = torch.device("cpu")
    rng = np.random.default_rng(0)
    corpus = torch.tensor(rng.integers(0, NTOKENS, 4 * 5 * steps + 1), dtype=torch.long)
    train_data = batchify(corpus, 4, device)
    criterion = nn.NLLLoss()
    lr, clip, bptt = 5.0, 0.25, 5
    losses = []
    model.train()
    hidden = model.init_hidden(4)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i, bptt)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    windows = torch.stack([corpus[j:j + bptt + 1] for j in range(0, 40, bptt)])
    loader = DataLoader(TensorDataset(windows[:, :-1], windows[:, 1:]), batch_size=4)
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            output, _ = model(x.t().contiguous(), model.init_hidden(x.size(0)))
            total += len(x) * criterion(output, y.t().reshape(-1)).item()
    losses.append(total / len(loader.dataset))
    return losses
