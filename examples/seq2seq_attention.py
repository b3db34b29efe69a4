"""A GRU encoder-decoder with Bahdanau attention, after PyTorch's "NLP From Scratch:
Translation with a Sequence to Sequence Network and Attention" tutorial (batched version).

The task stands in for translation: the target sentence is the source sentence reversed,
followed by EOS. Sentences are random token strings drawn with NumPy from a fixed seed; batches
come from torch.utils.data. The decoder is teacher-forced while training and greedy
(``topk(1)``) while evaluating. Initial weights are drawn with NumPy and copied in with
``p.data.copy_``, so every library that runs this file starts from the same weights.

    python examples/seq2seq_attention.py --steps 20
"""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

SOS_token, EOS_token = 0, 1
MAX_LENGTH = 7
device = torch.device("cpu")


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.0):
        super(EncoderRNN, self).__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super(BahdanauAttention, self).__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))  # (B, S, 1)
        scores = scores.squeeze(2).unsqueeze(1)                        # (B, 1, S)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)                             # (B, 1, H)
        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.0):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long, device=device).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs = []
        attentions = []

        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)

            if target_tensor is not None:
                # Teacher forcing: Feed the target as the next input
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                # Without teacher forcing: use its own predictions as the next input
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()

        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights


def reversal_pairs(n, vocab, seed):
    """(source, target) LongTensors (n, MAX_LENGTH): target = reversed source, then EOS."""
    rng = np.random.default_rng(seed)
    source = rng.integers(2, vocab, (n, MAX_LENGTH - 1))
    source = np.concatenate([source, np.full((n, 1), EOS_token)], axis=1)
    target = np.concatenate([source[:, -2::-1], np.full((n, 1), EOS_token)], axis=1)
    return torch.tensor(source, dtype=torch.long), torch.tensor(target, dtype=torch.long)


def numpy_init_(model, seed):
    """Every parameter drawn from U(-1/sqrt(H), 1/sqrt(H)) by NumPy (PyTorch's GRU range)."""
    rng = np.random.default_rng(seed)
    for name, p in model.named_parameters():
        bound = 1.0 / math.sqrt(p.shape[-1])
        p.data.copy_(torch.tensor(rng.uniform(-bound, bound, tuple(p.shape)), dtype=torch.float32))


def train_epoch(dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer, criterion,
                losses, steps):
    for input_tensor, target_tensor in dataloader:
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()

        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, _, _ = decoder(encoder_outputs, encoder_hidden, target_tensor)

        loss = criterion(
            decoder_outputs.view(-1, decoder_outputs.size(-1)),
            target_tensor.view(-1)
        )
        loss.backward()

        encoder_optimizer.step()
        decoder_optimizer.step()
        losses.append(loss.item())
        print(f"step {len(losses)} loss {loss.item():.9g}")
        if len(losses) == steps:
            return


def evaluate(encoder, decoder, source, target):
    with torch.no_grad():
        encoder_outputs, encoder_hidden = encoder(source)
        decoder_outputs, _, attentions = decoder(encoder_outputs, encoder_hidden)
        _, decoded_ids = decoder_outputs.topk(1)
        correct = (decoded_ids.squeeze(-1) == target).float().mean().item()
        nll = F.nll_loss(decoder_outputs.view(-1, decoder_outputs.size(-1)), target.view(-1))
    return nll.item(), correct, attentions


def main(steps=20, batch_size=8, hidden_size=16, lr=1e-2, seed=0):
    torch.manual_seed(seed)
    vocab = 12
    source, target = reversal_pairs(96, vocab, seed)
    train_dataloader = DataLoader(TensorDataset(source[:64], target[:64]),
                                  batch_size=batch_size, shuffle=False)
    encoder = EncoderRNN(vocab, hidden_size).to(device)
    decoder = AttnDecoderRNN(hidden_size, vocab).to(device)
    numpy_init_(encoder, seed)
    numpy_init_(decoder, seed + 1)
    encoder_optimizer = optim.Adam(encoder.parameters(), lr=lr)
    decoder_optimizer = optim.Adam(decoder.parameters(), lr=lr)
    criterion = nn.NLLLoss()
    losses = []
    while len(losses) < steps:
        train_epoch(train_dataloader, encoder, decoder, encoder_optimizer, decoder_optimizer,
                    criterion, losses, steps)
    encoder.eval()
    decoder.eval()
    nll, accuracy, attentions = evaluate(encoder, decoder, source[64:], target[64:])
    print(f"greedy loss {nll:.9g} token accuracy {accuracy:.3f} "
          f"attention {tuple(attentions.shape)}")
    return losses + [nll]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="GRU seq2seq with attention, reversal task")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args()
    main(steps=args.steps, batch_size=args.batch_size, lr=args.lr)
