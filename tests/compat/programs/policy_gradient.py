"""pytorch/examples' reinforcement_learning/reinforce, shrunk: a 2-layer policy, discounted
returns normalised with mean/std, loss = Σ −log π(a|s)·R. A tiny NumPy chain environment stands
in for CartPole and the actions come from a NumPy generator, so both runs see the same
trajectory whatever library computes the probabilities."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

eps = np.finfo(np.float32).eps.item()
GAMMA = 0.99


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 16)
        self.dropout = nn.Dropout(p=0.0)
        self.affine2 = nn.Linear(16, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


class ChainEnv:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = 0
        return np.array([0.0, 1.0, 0.0, 0.5], dtype=np.float32)

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        state = np.array([self.pos / 5, 1.0, float(action), self.rng.random()], dtype=np.float32)
        return state, 1.0 + self.pos / 5, abs(self.pos) >= 5


def select_action(policy, state, rng):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    p = probs.detach().numpy()[0].astype(np.float64)
    action = int(rng.choice(2, p=p / p.sum()))
    policy.saved_log_probs.append(torch.log(probs[0, action]))
    return action


def finish_episode(policy, optimizer):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + GAMMA * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.stack(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def build():
    torch.manual_seed(543)
    return (Policy(),)


def train(modules, steps):
    (policy,) = modules
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)
    env, rng = ChainEnv(0), np.random.default_rng(1)
    losses = []
    for i_episode in range(steps):
        state, ep_reward = env.reset(), 0
        for t in range(1, 12):
            action = select_action(policy, state, rng)
            state, reward, done = env.step(action)
            policy.rewards.append(reward)
            ep_reward += reward
            if done:
                break
        losses.append(finish_episode(policy, optimizer))
    return losses
