"""A word-level LSTM language model trained from a torch.utils.data Dataset and DataLoader.

Embedding-LSTM-Linear (batch_first), CrossEntropyLoss, clip_grad_norm_ and Adam. The corpus is
a synthetic token stream from a fixed random Markov chain (NumPy, fixed seed); the Dataset
cuts it into (input, target) windows shifted by one token. Initial weights are drawn with
NumPy and copied in with ``p.data.copy_``, so every library that runs this file starts equal.

    python examples/lstm_lm.py --steps 20
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, Dataset


def markov_corpus(ntokens, length, seed):
    """A token stream where each token picks its successor from 3 favourites."""
    rng = np.random.default_rng(seed)
    favourites = rng.integers(0, ntokens, (ntokens, 3))
    tokens = np.empty(length, dtype=np.int64)
    tokens[0] = 0
    for i in range(1, length):
        tokens[i] = favourites[tokens[i - 1], rng.integers(0, 3)]
    return tokens


class TokenWindows(Dataset):
    """Windows of ``bptt + 1`` tokens: input = window[:-1], target = window[1:]."""

    def __init__(self, tokens, bptt):
        self.tokens = torch.tensor(tokens, dtype=torch.long)
        self.bptt = bptt

    def __len__(self):
        return (len(self.tokens) - 1) // self.bptt

    def __getitem__(self, idx):
        start = idx * self.bptt
        chunk = self.tokens[start:start + self.bptt + 1]
        return chunk[:-1], chunk[1:]


class LSTMLanguageModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.0):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout, batch_first=True)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden=None):
        emb = self.drop(self.encoder(input))          # (B, T, ninp)
        output, hidden = self.rnn(emb, hidden)        # (B, T, nhid)
        decoded = self.decoder(self.drop(output))     # (B, T, ntoken)
        return decoded, hidden


def numpy_init_(model, seed, scale=0.1):
    """Every parameter drawn from U(-scale, scale) by NumPy, in named_parameters() order."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.data.copy_(torch.tensor(rng.uniform(-scale, scale, tuple(p.shape)),
                                      dtype=torch.float32))


def evaluate(model, loader, criterion):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for data, targets in loader:
            output, _ = model(data)
            total += criterion(output.view(-1, model.ntoken), targets.reshape(-1)).item() * len(data)
            count += len(data)
    return total / count


def main(steps=20, batch_size=4, bptt=8, lr=3e-3, clip=0.5, seed=0):
    torch.manual_seed(seed)
    ntokens = 32
    corpus = markov_corpus(ntokens, 2000, seed)
    train_set = TokenWindows(corpus[:1600], bptt)
    valid_set = TokenWindows(corpus[1600:], bptt)
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=False, drop_last=True)
    valid_loader = DataLoader(valid_set, batch_size=16)
    model = LSTMLanguageModel(ntokens, 16, 24, 2, dropout=0.0)
    numpy_init_(model, seed)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    while len(losses) < steps:
        for data, targets in train_loader:
            optimizer.zero_grad()
            output, _ = model(data)
            loss = criterion(output.view(-1, ntokens), targets.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(loss.item())
            print(f"step {len(losses)} loss {loss.item():.9g} ppl {math.exp(loss.item()):.3f}")
            if len(losses) == steps:
                break
    val_loss = evaluate(model, valid_loader, criterion)
    print(f"valid loss {val_loss:.9g}")
    return losses + [val_loss]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="LSTM language model on a synthetic corpus")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    args = parser.parse_args()
    main(steps=args.steps, lr=args.lr)
