# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # LSTM gates: the forward pass, the backward pass, and why the cell remembers
#
# A long short-term memory network (LSTM) {cite:p}`hochreiter1997long` reads a sequence one step at a
# time and carries two vectors
# from step to step: a hidden state $h_t$ that it shows to the outside, and a cell state $c_t$ that it
# keeps to itself. At every step, four small layers decide what to write into the cell (a candidate
# value and an input *gate*), how much of the old cell to keep (the forget gate, added to the original
# design by {cite:t}`gers2000learning`), and how much of the cell to show (the output gate).
#
# This chapter does three things, each followed by code that checks it:
#
# 1. writes down the nine equations of an LSTM that classifies a sequence from its last step, and checks
#    our from-scratch model (`lib.lstm.LSTM`) against PyTorch's `torch.nn.LSTM`;
# 2. derives the backward pass (backpropagation through time, {cite:p}`werbos1990backpropagation`)
#    through each gate by hand, and checks it against autograd;
# 3. measures how strongly the loss at the last step reaches back to the first steps, for a plain RNN and
#    for an LSTM, and shows why the RNN's gradient vanishes while the LSTM's survives much longer
#    {cite:p}`bengio1994learning,pascanu2013difficulty`.
#
# Every model and helper used here lives in `lib/`; the notebook only sets up the experiments.

# %%
import inspect
import textwrap

import torch
from IPython.display import Markdown
from torch import nn

from lib.core.repro import pin_threads, seed_everything
from lib.core.tables import markdown_table
from lib.lstm.bptt import lstm_backward, lstm_loss_and_grads, step_backward
from lib.lstm.cell import LSTM
from lib.lstm.gradients import (
    autograd_loss_and_grads,
    compare_grads,
    decay_per_step,
    first_digit_task,
    hidden_grad_norms,
    plot_grad_norms,
)
from lib.lstm.rnn import RNN

pin_threads(1)  # the tensors here are tiny: a second thread would only add waiting
gen = seed_everything(0)
# every check in this chapter is in double precision
torch.set_default_dtype(torch.float64)


def show_source(fn) -> Markdown:
    """The source code of ``fn``, shown as a highlighted block."""
    return Markdown(f"```python\n{textwrap.dedent(inspect.getsource(fn))}```")


# %% [markdown]
# ## The nine equations
#
# At step $t$ the LSTM receives an input $x_t \in \mathbb{R}^D$, the previous hidden state
# $h_{t-1} \in \mathbb{R}^H$ and the previous cell state $c_{t-1} \in \mathbb{R}^H$, with
# $h_0 = c_0 = 0$. Below, $\sigma(z) = 1/(1+e^{-z})$ is the logistic sigmoid, $\odot$ is the elementwise
# product, and each $W$ and $b$ is a weight matrix or bias vector that the network learns. The first
# letter of a weight's name says which gate it feeds, the second what it multiplies.
#
# $$ g_t = \tanh(W_{gx} x_t + W_{gh} h_{t-1} + b_g) \tag{1} $$
#
# $$ i_t = \sigma(W_{ix} x_t + W_{ih} h_{t-1} + b_i) \tag{2} $$
#
# $$ f_t = \sigma(W_{fx} x_t + W_{fh} h_{t-1} + b_f) \tag{3} $$
#
# $$ o_t = \sigma(W_{ox} x_t + W_{oh} h_{t-1} + b_o) \tag{4} $$
#
# $$ c_t = g_t \odot i_t + c_{t-1} \odot f_t \tag{5} $$
#
# $$ h_t = \tanh(c_t) \odot o_t \tag{6} $$
#
# ```{figure} figures/lstm_cell.svg
# :alt: A diagram of one LSTM step. The inputs x_t and h_(t-1) run along the bottom into four boxes: the forget gate f_t, the input gate i_t and the output gate o_t, each a sigmoid, and the candidate g_t, a tanh. Along the top runs the cell state from c_(t-1) to c_t: it is multiplied by f_t, then the product of g_t and i_t is added. On the right, tanh(c_t) is multiplied by o_t to give h_t.
# :width: 100%
#
# One LSTM step, equations (1)–(6). Blue boxes are sigmoid gates, orange boxes tanh layers;
# ⊙ multiplies elementwise. The green line along the top is the cell state: on its way from
# $c_{t-1}$ to $c_t$ it is only scaled by $f_t$ and added to, never multiplied by a matrix.
# ```
#
# After the last step $T$ a linear read-out turns the hidden state into one score per class, a softmax
# turns the scores into probabilities, and the loss is the cross-entropy with the true class $y$,
# averaged over a batch of $B$ sequences:
#
# $$ p = W_{ph} h_T + b_p \tag{7} $$
#
# $$ \hat{y} = \operatorname{softmax}(p), \qquad \hat{y}_k = \frac{e^{p_k}}{\sum_j e^{p_j}} \tag{8} $$
#
# $$ L = -\frac{1}{B} \sum_{b=1}^{B} \log \hat{y}^{(b)}_{y^{(b)}} \tag{9} $$
#
# ### What each gate does
#
# - **The candidate $g_t$** (equation 1) is what the step *could* write into memory. Its $\tanh$ keeps it
#   between −1 and 1, and it can be negative, so a step can push the cell up or down.
# - **The input gate $i_t$** (equation 2) lies between 0 and 1 and decides, entry by entry, how much of the
#   candidate is actually written.
# - **The forget gate $f_t$** (equation 3), also between 0 and 1, decides how much of the old cell
#   $c_{t-1}$ is kept. Near 1 the cell remembers, near 0 it is wiped.
# - **The cell $c_t$** (equation 5) is the memory itself: the old memory, scaled by the forget gate, *plus*
#   the new writing. That plus sign is the heart of this chapter.
# - **The output gate $o_t$** (equation 4) decides how much of the squashed memory $\tanh(c_t)$ is shown as
#   the hidden state $h_t$ (equation 6), which is what the gates of the next step and the read-out see.
#
# The module `lib.lstm` follows these equations line by line, with the same names. Here is one step of it:

# %%
show_source(LSTM.step)

# %% [markdown]
# PyTorch stores all four gates of `torch.nn.LSTM` in two stacked matrices, in the order $i, f, g, o$, and
# gives each gate two biases that are simply added. `LSTM.from_torch` copies those weights into our named
# matrices. If our equations are right, both models must produce the same logits. We check in float64
# on a batch of random digit sequences (one-hot, so $D = 10$), with odd and even lengths:

# %%
torch.manual_seed(1)
torch_lstm = nn.LSTM(input_size=10, hidden_size=32, batch_first=True)
torch_head = nn.Linear(32, 10)
ours = LSTM.from_torch(torch_lstm, torch_head)

for T in (1, 12, 13):
    x, _ = first_digit_task(batch=8, T=T, generator=gen)  # (8, T, 10)
    out, _ = torch_lstm(x)  # (8, T, 32)
    diff = (ours(x) - torch_head(out[:, -1])).abs().max().item()
    print(f"T = {T:2d}: max |ours - torch.nn.LSTM| < 1e-10: {diff < 1e-10}")
    assert diff < 1e-10

# %% [markdown]
# ## The backward pass, gate by gate
#
# Training needs the gradient of $L$ with respect to every weight. Autograd can compute it, but doing it
# once by hand shows *where* the gradient flows, and that is what explains the LSTM's long memory.
#
# We write $\delta z$ for $\partial L / \partial z$, the gradient of the loss with respect to some
# quantity $z$, and treat one sequence with column vectors; the code stacks the $B$ sequences as rows and
# adds their contributions.
#
# ### The read-out
#
# Differentiating the softmax and cross-entropy (equations 8 and 9) together gives the familiar
# "prediction minus target", with the $1/B$ of the average:
#
# $$ \delta p = \tfrac{1}{B}\,\bigl(\hat{y} - \operatorname{onehot}(y)\bigr). $$
#
# Equation 7 is linear, so $\delta W_{ph} = \delta p\, h_T^\top$, $\delta b_p = \delta p$, and the gradient
# that enters the last hidden state is $\delta h_T = W_{ph}^\top \delta p$.
#
# ### One step backwards
#
# Now walk backwards from $t = T$ to $t = 1$. Two gradients arrive at step $t$: $\delta h_t$ (from the
# read-out if $t = T$, otherwise from the gates of step $t+1$), and the gradient that step $t+1$ sends
# back along the cell, which is $\delta c_{t+1} \odot f_{t+1}$ (zero after the last step).
#
# *Through equation 6*, $h_t = \tanh(c_t) \odot o_t$. The output gate receives
# $\delta o_t = \delta h_t \odot \tanh(c_t)$, and the cell collects both of its incoming paths:
#
# $$
# \begin{aligned}
# \delta c_t = {} & \delta h_t \odot o_t \odot \bigl(1 - \tanh^2(c_t)\bigr) \\
#               & + \delta c_{t+1} \odot f_{t+1}.
# \end{aligned}
# $$
#
# *Through equation 5*, $c_t = g_t \odot i_t + c_{t-1} \odot f_t$, each factor of a product gets the
# other factor, and $\delta c_t \odot f_t$ goes on to $c_{t-1}$:
#
# $$ \delta g_t = \delta c_t \odot i_t, \qquad \delta i_t = \delta c_t \odot g_t, \qquad
#    \delta f_t = \delta c_t \odot c_{t-1}. $$
#
# *Through the squashing functions* of equations 1–4, using $\tanh'(z) = 1 - \tanh^2(z)$ and
# $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$, we get the gradients of the four pre-activations
# $a^g_t, a^i_t, a^f_t, a^o_t$ (what goes into the $\tanh$ or $\sigma$):
#
# $$
# \begin{aligned}
# \delta a^g_t &= \delta g_t \odot (1 - g_t^2), &
# \delta a^i_t &= \delta i_t \odot i_t \odot (1 - i_t), \\
# \delta a^f_t &= \delta f_t \odot f_t \odot (1 - f_t), &
# \delta a^o_t &= \delta o_t \odot o_t \odot (1 - o_t).
# \end{aligned}
# $$
#
# *Through the weights.* Each pre-activation is $a^k_t = W_{kx} x_t + W_{kh} h_{t-1} + b_k$ for
# $k \in \{g, i, f, o\}$. The same weights serve every step, so their gradients add up over time, and the
# previous hidden state collects the gradient of all four gates:
#
# $$
# \begin{aligned}
# \delta W_{kx} &= \sum_{t=1}^{T} \delta a^k_t\, x_t^\top, &
# \delta W_{kh} &= \sum_{t=1}^{T} \delta a^k_t\, h_{t-1}^\top, \\
# \delta b_k &= \sum_{t=1}^{T} \delta a^k_t, &
# \delta h_{t-1} &= \sum_{k \in \{g,i,f,o\}} W_{kh}^\top\, \delta a^k_t.
# \end{aligned}
# $$
#
# In code, one step of this reads as follows (`lib.lstm.bptt`; `dc` on entry is what step $t+1$ sent
# back along the cell):

# %%
show_source(step_backward)

# %% [markdown]
# ### Why the cell keeps gradients alive
#
# Look at equation 5 once more. The old cell enters it only through $c_{t-1} \odot f_t$, and the gates
# depend on $h_{t-1}$ and $x_t$, not on $c_{t-1}$. So the partial derivative along the cell, holding
# $h_{t-1}$ fixed, is just the forget gate on a diagonal:
#
# $$ \frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t). $$
#
# Going back $k$ steps along the cell multiplies the gradient by $f_t \odot f_{t-1} \odot \dots \odot
# f_{t-k+1}$: no weight matrix and no derivative of a squashing function, only numbers the network itself
# chooses. When the forget gates sit near 1, the gradient passes almost untouched. The path is *additive*:
# the new writing $g_t \odot i_t$ is added to the memory rather than mixed into it by a matrix.
#
# Compare the vanilla RNN, $h_t = \tanh(W_{hx} x_t + W_{hh} h_{t-1} + b_h)$. Its only path back in time is
#
# $$ \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}\bigl(1 - h_t^2\bigr)\, W_{hh}, $$
#
# a product of a matrix and a factor that is at most 1. After $k$ steps the gradient has been multiplied by
# $k$ such matrices; when they shrink vectors, as they do at the usual initialisation, it fades
# exponentially.
#
# The claim about the cell is easy to check: autograd's Jacobian of $c_t$ with respect to $c_{t-1}$, for
# one LSTM step with $x_t$ and $h_{t-1}$ held fixed, should be exactly $\operatorname{diag}(f_t)$.

# %%
torch.manual_seed(2)
cell = LSTM(input_dim=10, hidden_dim=6, output_dim=10)
x_t, _ = first_digit_task(batch=1, T=1, generator=gen)
x_t = x_t[:, 0]  # (1, 10)
h_prev, c_prev = torch.randn(1, 6), torch.randn(1, 6)


def next_cell(c):
    return cell.step(x_t, h_prev, c).c  # equation 5, with x_t and h_prev fixed


jac = torch.autograd.functional.jacobian(next_cell, c_prev)  # (1, 6, 1, 6)
f_t = cell.step(x_t, h_prev, c_prev).f  # (1, 6)
is_diag_f = torch.allclose(jac[0, :, 0, :], torch.diag(f_t[0]), atol=1e-12, rtol=0)
print(f"dc_t/dc_(t-1) equals diag(f_t): {is_diag_f}")
assert is_diag_f

# %% [markdown]
# ## The hand-derived gradients against autograd
#
# `lib.lstm.bptt.lstm_loss_and_grads` runs the forward pass, then the backward pass above with plain
# tensor algebra, no autograd. We compare every one of its gradients with the one autograd computes
# for the same model and the same batch, in float64, to an absolute and relative tolerance of
# $10^{-10}$. The sequences are 15 random digits and the target is the first digit.

# %%
torch.manual_seed(3)
model = LSTM(input_dim=10, hidden_dim=32, output_dim=10)
x, y = first_digit_task(batch=8, T=15, generator=gen)  # x: (8, 15, 10), y: (8,)

loss, grads = lstm_loss_and_grads(model, x, y)
ref_loss, ref_grads = autograd_loss_and_grads(model, x, y)
rows = compare_grads(grads, ref_grads, atol=1e-10, rtol=1e-10)

assert torch.allclose(loss, ref_loss, atol=1e-10, rtol=1e-10)
assert all(row.matches for row in rows)
Markdown(
    "The loss matches autograd's, and so does every gradient:\n\n"
    + markdown_table(
        ["parameter", "shape", "matches autograd"],
        [[f"`{r.name}`", f"`{tuple(r.shape)}`", r.matches] for r in rows],
    )
)

# %% [markdown]
# The backward pass also produces $\delta h_t$ for every step along the way. Those are the quantities
# whose size we study next, so we check them against autograd as well (autograd can differentiate the
# loss with respect to any intermediate tensor, here each $h_t$):

# %%
dh_norms = torch.stack([dh.norm() for dh in lstm_backward(model, x, y).dh])  # (15,)
same = torch.allclose(dh_norms, hidden_grad_norms(model, x, y), atol=1e-10, rtol=1e-10)
print(f"||dL/dh_t|| by hand equals autograd at all {len(dh_norms)} steps: {same}")
assert same

# %% [markdown]
# ## Vanishing gradients, measured
#
# Now the payoff. We feed sequences of $T = 100$ random digits, and the target is the **first** digit, as
# in the palindrome task of the next chapter: the only evidence sits 100 steps before the loss. For each
# model we measure the size of $\delta h_t = \partial L / \partial h_t$ at every step $t$. If it is tiny
# at small $t$, the early inputs can barely change the loss, and gradient descent cannot learn to use
# them.
#
# All models are untrained, with their default initialisation (weights uniform in
# $\pm 1/\sqrt{H}$, $H = 128$). For the LSTM we also vary the initial forget-gate bias $b_f$: 0 is about
# what `torch.nn.LSTM` starts with, 1 is this book's default, and 3 starts with the forget gates near
# $\sigma(3) \approx 0.95$. The whole computation is in float64, because the RNN's gradient becomes too
# small for float32 to represent.

# %%
T, H = 100, 128
x_long, y_long = first_digit_task(batch=32, T=T, generator=gen)  # (32, 100, 10), (32,)

models = {}
seed_everything(4)
models["RNN"] = RNN(input_dim=10, hidden_dim=H, output_dim=10)
for b_f in (0, 1, 3):
    seed_everything(4)
    models[f"LSTM b_f={b_f}"] = LSTM(10, H, 10, forget_bias=float(b_f))

norms = {
    name: hidden_grad_norms(m, x_long, y_long) for name, m in models.items()
}  # (100,)
rate = {
    name: decay_per_step(n) for name, n in norms.items()
}  # average factor per step back
lost = {
    name: torch.log10(n[-1] / n[0]).item() for name, n in norms.items()
}  # orders of magn.
states = {name: m.states(x_long) for name, m in models.items() if isinstance(m, LSTM)}
mean_f = {
    name: torch.stack([s.f for s in st]).mean().item() for name, st in states.items()
}

table = [
    [
        name,
        f"{mean_f[name]:.2f}" if name in mean_f else "–",
        f"{rate[name]:.2f}",
        f"{round(lost[name], 1) + 0.0:.1f}",  # + 0.0 avoids printing -0.0
    ]
    for name in models
]
header = ["model", "mean $f_t$", "factor per step back", "orders of magnitude lost"]
Markdown(markdown_table(header, table))

# %% mystnb={"image": {"alt": "Two panels of gradient norm against time step on log axes. Left: the RNN and the LSTM with forget bias 0 fall in straight lines over about 20 orders of magnitude from t = 100 back to t = 1, the LSTM with bias 1 over about 7, and the LSTM with bias 3 stays level. Right: the bias-3 curve alone on a narrow axis: it drops steeply over the last steps before t = 100, is lowest near t = 87, and rises at every step back from there to t = 1, where it is as large as at t = 100."}}
fig = plot_grad_norms(norms, zoom="LSTM b_f=3")

# %% [markdown]
# The left panel has a logarithmic y-axis, so a gradient that shrinks by the same factor at every step
# draws a straight line. Read it from right to left, going back in time from the loss.
#
# - The RNN's gradient shrinks by a roughly constant factor at every step back (about 0.62; the table
#   gives the average factor per step). By the first step it has lost about twenty orders of
#   magnitude: the first digit, the only clue to the answer, has no measurable say in the loss, and
#   gradient descent has nothing to learn from. This is the vanishing gradient that
#   {cite:t}`bengio1994learning` identified as the obstacle to learning long-range dependencies.
# - The LSTM with $b_f = 0$ does no better at the start of training. Its forget gates sit near 0.5, so
#   the cell path halves the gradient at every step; with the other routes back added, the gradient
#   shrinks by the same factor per step as the RNN's.
# - With this book's default $b_f = 1$, the initialisation {cite:t}`jozefowicz2015empirical`
#   recommend, the forget gates start near 0.73 and the LSTM loses about seven orders of magnitude
#   instead of twenty; with $b_f = 3$ (forget gates near 0.95) the gradient at $t = 1$ is as large
#   as at $t = T$.
#
# This is $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$ at work: the cell gives the
# gradient a path back in time on which nothing but the forget gates scales it, so the LSTM's memory
# reaches as far back as its forget gates allow. An RNN has no such path. Training can open the forget
# gates; it cannot remove the weight matrix from the RNN's path.
#
# One more detail, which the wide axis of the left panel flattens: the $b_f = 3$ curve is not level.
# The right panel shows it alone on a narrow axis. One step back from the read-out the gradient drops
# to about a seventh, because $h_{T-1}$ reaches the loss only through the gates of step $T$, not
# directly. It sinks slowly for another dozen steps, to about a twentieth of its size at $t = T$
# around $t = 87$, and from there it grows at every step back, until at $t = 1$ it is as large as at
# $t = T$. Along the cell alone the gradient could only shrink, by $f_t \approx 0.95$ per step; that it
# grows shows the second way back in time: from $c_t$ through the gates into $h_{t-1}$, and
# from there through equation 6 into $c_{t-1}$. That route passes through $\tanh'(c) = 1 - \tanh^2(c)$.
# Early in the sequence the cell is still nearly empty, $\tanh'$ is close to 1 and the route is wide
# open; by the end the cell has grown, $\tanh$ is flattening, and the route is narrower.
#
# The cell below checks these statements on the measured numbers (expand it to see the code).

# %% tags=["hide-input"]
n_rnn, n_f3 = norms["RNN"], norms["LSTM b_f=3"]
low = int(n_f3.argmin())  # index of the lowest point: t = low + 1
last_drop = (n_f3[-1] / n_f3[-2]).item()  # from t = T to t = T - 1
depth = (n_f3[-1] / n_f3[low]).item()  # from t = T to the lowest point
c_f3 = [s.c for s in states["LSTM b_f=3"]]
tanh_slope = [
    (1 - torch.tanh(c) ** 2).mean().item() for c in (c_f3[0], c_f3[-1])
]  # t=1, T
checks = {
    "RNN: about twenty orders of magnitude lost": 15 < lost["RNN"] < 25,
    "RNN: about the same factor per step in both halves": abs(
        decay_per_step(n_rnn[:50]) - decay_per_step(n_rnn[49:])
    )
    < 0.1,
    "forget gates start near sigmoid(b_f)": all(
        abs(mean_f[f"LSTM b_f={b:g}"] - torch.sigmoid(torch.tensor(b)).item()) < 0.05
        for b in (0.0, 1.0, 3.0)
    ),
    "LSTM b_f=0 shrinks at the RNN's rate": abs(rate["LSTM b_f=0"] - rate["RNN"])
    < 0.03,
    "LSTM b_f=0 loses about as much as the RNN": abs(lost["LSTM b_f=0"] - lost["RNN"])
    < 3,
    "LSTM b_f=1 loses about seven orders": 5 < lost["LSTM b_f=1"] < 10,
    "LSTM b_f=3: t = 1 keeps the size of t = T": abs(lost["LSTM b_f=3"]) < 0.5,
    "larger forget gates, slower decay": rate["LSTM b_f=0"]
    < rate["LSTM b_f=1"]
    < rate["LSTM b_f=3"],
    "LSTM b_f=3: a drop of 5 to 10 times at the last step back": 5 < last_drop < 10,
    "LSTM b_f=3: lowest between t = 80 and t = 92": 80 <= low + 1 <= 92,
    "LSTM b_f=3: lowest point 10 to 30 times below t = T": 10 < depth < 30,
    "LSTM b_f=3: grows at every step back from there": bool(
        torch.all(n_f3[:low] > n_f3[1 : low + 1])
    ),
    "LSTM b_f=3: tanh' near 1 at t = 1, below 0.5 at t = T": tanh_slope[0] > 0.9
    and tanh_slope[1] < 0.5,
}
assert all(checks.values()), checks
Markdown(markdown_table(["claim", "holds"], [[c, ok] for c, ok in checks.items()]))

# %% [markdown]
# ## Summary
#
# - The LSTM is nine equations; `lib.lstm.LSTM` implements them with the chapter's names and matches
#   `torch.nn.LSTM` to $10^{-10}$ in float64.
# - Backpropagation through time goes through each gate by the chain rule; the hand-derived gradients in
#   `lib.lstm.bptt` match autograd for every parameter.
# - Along the cell, $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$: the additive update lets
#   the gradient travel back in time scaled only by the forget gates. A vanilla RNN multiplies it by a
#   weight matrix and a $\tanh'$ factor at every step, and over 100 steps it vanishes.
#
# The next chapter puts this to the test: both models learn to complete palindromes, and we watch the
# RNN fail as the sequences get longer.
#
# ## Exercises
#
# 1. **Predict, then measure.** Build `LSTM(10, 128, 10, forget_bias=b)` for $b = 2$ and $b = 5$,
#    measure `hidden_grad_norms` on `x_long, y_long` and summarise each curve with
#    `decay_per_step`. Before you run it, predict the mean forget gate and the factor per step back
#    from $\sigma(b)$. Where does the prediction fail, and why?
#
#    ```{admonition} Hint
#    :class: dropdown
#    Along the cell alone the factor per step would be about $\sigma(b)$. The measured factor also
#    contains the second route back through $h_{t-1}$ and the gates, and $\tanh'(c_t)$ shrinks as
#    the cell fills up, which a larger forget gate makes happen sooner.
#    ```
#
# 2. **One gradient by hand.** For a sequence of $T = 2$ steps write $\delta W_{ix}$ as a sum of two
#    terms, using only the quantities of the "One step backwards" section. Compute it with the
#    states from `model.states(x)` and compare it with `lstm_loss_and_grads(model, x, y)[1]["W_ix"]`
#    and with `autograd_loss_and_grads`.
#
#    ```{admonition} Hint
#    :class: dropdown
#    $\delta W_{ix} = \delta a^i_1 x_1^\top + \delta a^i_2 x_2^\top$ with
#    $\delta a^i_t = \delta c_t \odot g_t \odot i_t \odot (1 - i_t)$. For a batch, the code stacks the
#    sequences as rows: the product becomes `da_i.T @ x_t`, summed over the batch.
#    ```
#
# 3. **Exploding instead of vanishing.** Multiply the RNN's recurrent matrix by 4
#    (`with torch.no_grad(): rnn.W_hh.mul_(4)`) and measure the gradient norms again. Does the
#    gradient still vanish? What does that mean for a training step, and why does chapter 02 clip
#    the gradient's norm {cite:p}`pascanu2013difficulty`?
#
# 4. **The second way back.** The chapter checked that $\partial c_t / \partial c_{t-1}$, with
#    $h_{t-1}$ fixed, is $\operatorname{diag}(f_t)$. Use `torch.autograd.functional.jacobian` on
#    `lambda h: cell.step(x_t, h, c_prev).c` to compute $\partial c_t / \partial h_{t-1}$. Is it
#    diagonal? Which gates contribute to it?
