"""A Transformer language model, after PyTorch's "Language Modeling with nn.Transformer"
tutorial and pytorch/examples' word_language_model.

Embedding * sqrt(d_model) + sinusoidal PositionalEncoding (a registered buffer),
nn.TransformerEncoder of nn.TransformerEncoderLayer (sequence-first), a causal mask from
``nn.Transformer.generate_square_subsequent_mask`` built at import time, batchify/get_batch,
CrossEntropyLoss, clip_grad_norm_, SGD with StepLR. The corpus is a synthetic token stream
(NumPy, fixed seed). Initial weights are drawn with NumPy and copied in with ``p.data.copy_``
(LayerNorms keep their ones and zeros), so every library that runs this file starts equal.

    python examples/transformer_lm.py --steps 20
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn import TransformerEncoder, TransformerEncoderLayer

device = torch.device("cpu")
bptt = 8
src_mask = nn.Transformer.generate_square_subsequent_mask(bptt).to(device)  # (bptt, bptt)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=512):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        """x: (seq_len, batch_size, embedding_dim)"""
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.5):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = TransformerEncoder(encoder_layers, nlayers,
                                                      enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-initrange, initrange)

    def forward(self, src, src_mask=None):
        """src: (seq_len, batch_size) -> (seq_len, batch_size, ntoken)"""
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        if src_mask is None:
            src_mask = nn.Transformer.generate_square_subsequent_mask(len(src)).to(device)
        output = self.transformer_encoder(src, src_mask)
        output = self.linear(output)
        return output


def numpy_init_(model, seed):
    """Every parameter but the LayerNorms' drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    for name, p in model.named_parameters():
        if "norm" in name:
            continue
        fan_in = p.shape[-1] if p.dim() > 1 else p.shape[0]
        bound = 1.0 / math.sqrt(fan_in)
        p.data.copy_(torch.tensor(rng.uniform(-bound, bound, tuple(p.shape)), dtype=torch.float32))


def batchify(data, bsz):
    """Divides the data into ``bsz`` separate sequences: (N,) -> (N // bsz, bsz)."""
    seq_len = data.size(0) // bsz
    data = data[:seq_len * bsz]
    data = data.view(bsz, seq_len).t().contiguous()
    return data.to(device)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].reshape(-1)
    return data, target


def evaluate(model, eval_data, criterion, ntokens):
    model.eval()
    total_loss = 0.0
    with torch.no_grad():
        for i in range(0, eval_data.size(0) - 1, bptt):
            data, targets = get_batch(eval_data, i)
            seq_len = data.size(0)
            output = model(data, src_mask[:seq_len, :seq_len])
            output_flat = output.view(-1, ntokens)
            total_loss += seq_len * criterion(output_flat, targets).item()
    return total_loss / (len(eval_data) - 1)


def main(steps=20, batch_size=4, lr=0.5, seed=0):
    torch.manual_seed(seed)
    ntokens, emsize, d_hid, nlayers, nhead, dropout = 24, 16, 32, 2, 2, 0.0
    rng = np.random.default_rng(seed)
    # a stream where token t is mostly followed by (3 t + 1) mod ntokens
    tokens = [0]
    for _ in range(1199):
        nxt = (3 * tokens[-1] + 1) % ntokens if rng.random() < 0.8 else rng.integers(ntokens)
        tokens.append(int(nxt))
    corpus = torch.tensor(tokens, dtype=torch.long)
    train_data = batchify(corpus[:1000], batch_size)   # (250, batch_size)
    val_data = batchify(corpus[1000:], 2)              # (100, 2)

    model = TransformerModel(ntokens, emsize, nhead, d_hid, nlayers, dropout).to(device)
    numpy_init_(model, seed)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.95)
    losses = []
    model.train()
    while len(losses) < steps:
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i)
            seq_len = data.size(0)
            output = model(data, src_mask[:seq_len, :seq_len])
            loss = criterion(output.view(-1, ntokens), targets)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
            print(f"step {len(losses)} lr {scheduler.get_last_lr()[0]:.4f} "
                  f"loss {loss.item():.9g} ppl {math.exp(loss.item()):.3f}")
            if len(losses) == steps:
                break
        scheduler.step()
    val_loss = evaluate(model, val_data, criterion, ntokens)
    print(f"valid loss {val_loss:.9g} ppl {math.exp(val_loss):.3f}")
    return losses + [val_loss]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Transformer language model, synthetic corpus")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args()
    main(steps=args.steps, lr=args.lr)
