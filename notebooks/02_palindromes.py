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
# # Palindromes: how far back can a network remember?
#
# Chapter 01 argued that the LSTM's cell state lets gradients, and therefore memory, survive many
# steps, while a vanilla RNN's fade. This chapter puts that claim to a test with a task whose only
# difficulty is memory: complete a palindrome. We train both networks at a range of lengths and
# look for the length at which each one stops learning.
#
# The task and the first recipe come from *the reports*: the two student reports of the CS324
# Deep Learning Assignment 3 whose recipes this book starts from {cite:p}`cs324reports`. Every
# setting taken from them is stated where it is used.
#
# One training run is a poor witness. Its result is a chaotic function of the random seed and even
# of how the CPU rounds its sums: the same command,
# `python -m lib.palindrome train --model rnn --length 15 --seed 1 --steps 400`, ended at 61%
# held-out accuracy on one code path of one machine and at 21% on another. So every statement
# below about what training achieves rests on **five seeds** per model, length and recipe, saved
# in `results/`, and says how many of them agree. The few runs this page trains live are spot
# checks of the training code against those saved statistics.
#
# Everything used here comes from `lib.palindrome`: the data, the training loop, the sweep over
# seeds, the statistics and the figures. The notebook only chooses the experiments.

# %%
import dataclasses
import statistics

import torch
from IPython.display import Markdown

from lib.core.paths import results_dir, web_dir
from lib.core.repro import pin_threads, seed_everything
from lib.core.tables import config_table, markdown_table
from lib.palindrome import TrainConfig, accuracy_by_length, palindromes, split, train
from lib.palindrome.data import encode
from lib.palindrome.plots import (
    plot_curriculum,
    plot_curves,
    plot_memory,
    plot_seeds,
    plot_transfer,
)
from lib.palindrome.stats import longest_solved, solved_table, summarize
from lib.palindrome.sweep import RECIPES, load_runs, load_sweep
from lib.palindrome.transfer import curves
from lib.web.encode import decode, read_script
from lib.web.lstm import lstm_from_payload

pin_threads()
gen = seed_everything(0)

# %% [markdown]
# ## The task
#
# A palindrome of length $T$ is a sequence of digits $d_1, \dots, d_T \in \{0, \dots, 9\}$ that
# reads the same forwards and backwards: $d_t = d_{T+1-t}$ for every $t$. The network reads the
# first $T-1$ digits, one per step, and must then name the last digit $d_T$.
#
# Because the sequence is a palindrome, $d_T = d_1$: the answer is the very first digit the
# network saw. The digits in between mirror each other ($d_2 = d_{T-1}$, $d_3 = d_{T-2}$, ...) but
# say nothing about $d_1$, which is drawn uniformly. A network that has forgotten $d_1$ can do no
# better than guessing, which is right one time in ten. So accuracy well above 10% means the
# network carried one digit across $T-2$ steps of distraction.
#
# Here are four palindromes of length 9, and the (input, target) pair made from them.

# %%
digits = palindromes(4, 9, gen)  # (4, 9)
x, y = split(digits, "onehot")  # x (4, 8, 10), y (4,)
for row, target in zip(digits.tolist(), y.tolist()):
    print("".join(map(str, row[:-1])), "->", target)
print("one-hot inputs:", tuple(x.shape))
print("scalar inputs: ", tuple(split(digits, "scalar")[0].shape))

# %% [markdown]
# Each digit enters the network either one-hot (a vector of ten with a single 1, the default
# here) or as a single number $0, 1, \dots, 9$ (the reports' *scalar* encoding,
# `encoding="scalar"`). One-hot inputs do not suggest that 7 is "closer" to 8 than
# to 2, which makes the read-out easier to learn.
#
# ## The recipe
#
# The core of the recipe is the reports'. Both networks have 128 hidden units and a linear
# read-out of their last hidden state, trained with RMSprop {cite:p}`tieleman2012rmsprop` at
# learning rate $10^{-3}$, batches of 128 freshly drawn palindromes at every step, and the
# gradient's norm clipped at 10 before each update, the remedy of
# {cite:t}`pascanu2013difficulty` for the rare step whose gradient explodes. Every 50 steps we
# measure accuracy on 1,000 held-out palindromes (drawn from their own seed stream) and stop as
# soon as it reaches 100%. The LSTM's forget-gate bias starts at 1
# {cite:p}`jozefowicz2015empirical`, which makes the forget gates {cite:p}`gers2000learning`
# keep most of the cell's content at first. Both models get the **same budget: at most 2,000
# training steps** per run.

# %%
base = TrainConfig(steps=2000, device="cpu")
Markdown(config_table(base))

# %% [markdown]
# ## Five seeds per experiment
#
# The saved sweep trained both models at ten lengths from 5 to 100, with two recipes (plain
# training at the full length, and a curriculum described further down), five seeds each. Each
# run is one file in `results/palindrome_runs/`, which records the command that made it. The
# whole sweep is one command (a killed sweep resumes where it stopped; `--jobs` runs it in
# parallel processes):
#
# ```
# python -m lib.palindrome sweep --seeds 0-4 --jobs 2
# ```
#
# Why separate processes, and not the five seeds' models as one batched computation? On a CPU a
# training step is mostly matrix products, which already run near the cores' speed for one model:
# `benchmarks/seeds_together.py` times five models stacked into one computation, written like the
# chapter's fast LSTM, at 4.8 to 5.0 times one model's step, no better than one after another
# (`benchmarks/README.md`).

# %%
runs = load_runs(results_dir() / "palindrome_runs")
cells = summarize(runs)
seeds = sorted({r["seed"] for r in runs})
lengths = sorted({r["length"] for r in runs})
print(f"{len(runs)} runs")
print(f"seeds:   {', '.join(map(str, seeds))}")
print(f"lengths: {', '.join(map(str, lengths))}")
print(f"budget of every run: {sorted({r['config']['steps'] for r in runs})} steps")
hours = sum(r["seconds"] for r in runs) / 3600
print(f"training time of all runs added up: {hours:.1f} hours")
assert (
    len(runs) == len(cells) * len(seeds) == 2 * len(RECIPES) * len(lengths) * len(seeds)
)

# %% [markdown]
# ## Learning, as it happens
#
# The curves below show held-out accuracy during plain training at four lengths: one row per
# length, one column per model, one line per seed. A line ends in a dot where its seed reached
# 100% and in a cross where its budget of 2,000 steps ran out; the faint horizontal lines mark
# every 10%. At $T = 5$ and $10$ every run is done within 350 steps, so those lengths are left
# out.

# %% mystnb={"image": {"alt": "Eight panels of held-out accuracy against training step, LSTM on the left and vanilla RNN on the right, for T = 15, 20, 25 and 30 from top to bottom, five seeds each. Every LSTM seed reaches 100 percent at T = 15 and 20; at T = 25 two LSTM seeds run out of budget at 58 and 30 percent; at T = 30 four finish by step 750 and one stays near chance for 1,400 steps. Many RNN seeds sit for hundreds of steps on plateaus near 20, 50 or 90 percent, and no RNN seed finishes at T = 25."}}
plain = [r for r in runs if r["recipe"] == "plain"]
fig = plot_curves(plain, lengths=(15, 20, 25, 30))

# %% [markdown]
# What the curves show:
#
# * At $T = 15$ and $20$ most runs of both models leave chance within a few hundred steps and
#   reach 100%, but not all: the seeds' finishing times spread over a factor of two or three, and an RNN
#   run occasionally gets stuck (the table below counts them).
# * The longer the palindrome, the longer a network tends to sit near chance before it finds the
#   first digit: the signal that links $d_1$ to the loss has to cross more steps and arrives
#   weaker. At $T = 25$ and $30$ some LSTM seeds are done in 700 steps while others need 1,600 or
#   run out of budget.
# * Learning is often *not* all or nothing. Many runs climb in stairs, with long plateaus near
#   20% or 30%, and some RNN runs near 50% or 90%. A network that carries $k$ of the ten digits
#   perfectly and guesses among the other $10-k$ scores about $k/10 + 1/10 = (k+1)/10$, so a
#   plateau at 20% or 30% is what learning one or two digits at a time looks like (exercise 4
#   asks you to check this on a run of your own).
#
# ## Accuracy against length
#
# The next figure gathers the final held-out accuracy of every saved run: the line is the median
# of the five seeds, the band their range and the dots the seeds themselves. The left panel
# trains plainly at the full length; the right one uses the curriculum described below. The table
# under it counts, for each length, the seeds that reached 99%.

# %% mystnb={"image": {"alt": "Two panels of final held-out accuracy against palindrome length on a log axis, the LSTM as a blue solid line and the vanilla RNN as an orange dashed line, each the median of five seeds with a shaded range and a dot per seed. Left, plain training: both models are at 100 percent up to T = 10; the RNN's median drops at T = 25 and the LSTM's after T = 30; from T = 50 the LSTM is at chance while the RNN's median lies between 20 and 30 percent. Right, the curriculum: both medians stay at 100 percent up to T = 100; three RNN runs, at three different lengths, end near 78 percent."}}
fig = plot_seeds(cells)

# %%
Markdown(solved_table(cells, RECIPES, ("lstm", "rnn")))

# %%
reach = [
    [
        recipe,
        model.upper(),
        longest_solved(cells, recipe, model, quorum=len(seeds)),
        longest_solved(cells, recipe, model, quorum=len(seeds) // 2 + 1),
    ]
    for recipe in RECIPES
    for model in ("lstm", "rnn")
]
header = ["recipe", "model", "every T up to, all seeds", "every T up to, a majority"]
Markdown(markdown_table(header, reach))

# %% [markdown]
# Read the table from the top. Trained plainly, both networks learn the short palindromes, and
# the vanilla RNN is the first to stumble: from $T = 15$ on some of its seeds miss, at $T = 25$
# none of them makes it, and from $T = 40$ on none at all. Yet the seeds do not even agree on
# which length is harder: one RNN seed solved $T = 30$ although all five failed at $T = 25$,
# and the LSTM solved $T = 30$ in more seeds than $T = 25$. Near its limit a model's result is
# close to a coin flip, and five seeds only say roughly how the coin is weighted.
#
# The plain LSTM reaches further: every seed solves every length up to $T = 20$, most seeds solve
# $T = 25$ and $30$, one seed still solves $T = 40$ (two more stop at 74% and 80%), and from
# $T = 50$ on every seed is at chance when its budget runs out. The plain RNN fails more gently
# than the LSTM: at $T = 50$ to $100$ several of its seeds end between 20% and 55%, above
# chance, having learnt a few digits.
#
# With the curriculum (right panel) both networks reach every length up to 100 in most seeds;
# the next sections show what that means.
#
# The second table reads the first one from the top down: for each recipe and model, the
# longest length up to which every shorter length is solved too, by all seeds and by most.
#
# ## A spot check, trained on this page
#
# The saved runs are only as good as the code that made them, so this page trains three of them
# again: both models at $T = 10$ and the LSTM at $T = 20$, the cells of the table where all five
# saved seeds reached 100%. Each result is one more sample from the distribution the saved seeds
# describe; on another machine it may take another number of steps, and what is checked is only
# that it lands where the seeds say it should. (The RNN at $T = 20$ is no such cell: one of its
# five seeds failed there, so one failed run on this page would prove nothing.)

# %% tags=["nbval-ignore-output"]
spot = {
    (m, t): dataclasses.replace(base, model=m, length=t)
    for m, t in (("lstm", 10), ("rnn", 10), ("lstm", 20))
}
live = {key: train(config, show_progress=False) for key, config in spot.items()}
for (model, length), history in live.items():
    print(
        f"{model:>4} T={length}: {history.accuracy:.3f} held-out "
        f"after {history.steps} steps"
    )

# %%
for (model, length), history in live.items():  # every saved seed solved these cells
    assert cells[("plain", model, length)].solved == len(seeds)
    assert history.accuracy >= 0.9, (model, length, history.accuracy)

# %% [markdown]
# ## What did each network learn?
#
# Both networks can reach 100% at $T = 20$. Did they learn the same thing? A network that has
# really learnt to *store* the first digit should also answer correctly when the palindrome is a
# little shorter or longer than the ones it was trained on. The saved transfer study trained both
# models plainly at $T = 20$, five seeds each, and measured them at other lengths without any
# further training:
#
# ```
# python -m lib.palindrome transfer --seeds 0-4 --length 20
# ```
#
# The figure shows every seed and their median, and, as dots, the LSTM just trained on this
# page at $T = 20$.

# %% mystnb={"image": {"alt": "Held-out accuracy against palindrome length from 10 to 100 for models trained at T = 20, five seeds per model as thin lines and their median as a thick line. The LSTM stays near 100 percent from T = 15 to 25 and slowly declines to a median near 80 percent at T = 100. The vanilla RNN is at 100 percent only at T = 20; elsewhere its median is zero, with a few seeds spiking at scattered lengths. Dots mark this page's LSTM run, which follows the LSTM seeds."}}
study = load_sweep(results_dir() / "palindrome_transfer.json")
saved = {m: curves(study, m) for m in ("lstm", "rnn")}
fresh = {
    "lstm": accuracy_by_length(
        live[("lstm", 20)].model, sorted(saved["lstm"]), size=500
    )
}
fig = plot_transfer(saved, trained_at=20, live=fresh)

# %% [markdown]
# The difference is striking, and all five seeds of each model agree on it.
#
# The LSTM keeps its accuracy well beyond the length it was trained at: every seed stays at 99%
# or more from $T = 15$ to $25$, and is still far above chance at five times the length,
# $T = 100$. It has learnt to *store* $d_1$ in its cell and to keep it there, whatever the
# digits that follow (the live model below shows how one such LSTM does it). The store is not
# perfect: a little of the stored digit is lost at every step, and how much differs from seed
# to seed, so
# the seeds fan out the further they are read from $T = 20$.
#
# The RNN is right at $T = 20$ (in the four seeds that learnt it) and wrong at nearly every
# other length, mostly far *below* chance: it answers with a digit that depends on $d_1$, but the wrong one. Its hidden state does
# not hold $d_1$ still; it carries it along a trajectory that changes from step to step, and the
# read-out has learnt to decode that trajectory at exactly step 19. The cell below lists, for
# each RNN seed, the lengths where it is right again.

# %%
rows = []
for run in sorted((r for r in study if r["model"] == "rnn"), key=lambda r: r["seed"]):
    right = [t for t, a in run["accuracy"].items() if a >= 0.99]
    wrong = sum(a < 0.1 for t, a in run["accuracy"].items() if int(t) != 20)
    others = len(run["accuracy"]) - 1
    rows.append(
        [run["seed"], ", ".join(right) or "none", f"{wrong} of {others} other lengths"]
    )
header = ["RNN seed", "right (99%) at T", "below chance at"]
Markdown(markdown_table(header, rows))

# %% [markdown]
# One seed gives the game away: it is right at $T = 14, 20, 26, 50$ and $80$, lengths that differ
# by multiples of 6. Its memory turns like a wheel with a period of six steps, and the read-out
# works whenever the wheel comes back to the position it was trained on.
#
# The next cell checks these statements against the saved seeds and this page's LSTM.

# %% tags=["hide-input"]
lstm_near = [min(saved["lstm"][t]) for t in range(15, 26)]  # every seed, T = 15 .. 25
rnn_other = [a for t, accs in saved["rnn"].items() if t != 20 for a in accs]
assert min(lstm_near) >= 0.99 and min(saved["lstm"][100]) > 0.3  # the LSTM's latch
assert sum(a < 0.1 for a in rnn_other) >= 0.75 * len(
    rnn_other
)  # the RNN: mostly below chance
near = [
    fresh["lstm"][t] for t in range(15, 26)
]  # this page's LSTM: its latch holds nearby
assert min(near) >= 0.9, near

# %% [markdown]
# ### The memory, live in this page
#
# You can watch an LSTM remember. The box below runs one in your browser, with no server:
# chapter 02's plain recipe trained at $T = 20$ with seed 0, so it reads 19 digits and names the
# 20th. Type digits, or ask for a random palindrome. The bars are the probabilities it gives the
# last digit (green: the first digit, which a palindrome ends with). The picture shows the cell
# state $c_t$ of 24 of its 128 units over time, blue for negative and orange for positive. The
# units are ordered by $\eta^2$, the share of the variance of a unit's final cell state, across
# 2,000 palindromes, that the first digit explains.
#
# This network does not keep $d_1$ in a few dedicated units behind closed input gates, the
# textbook picture of a latch. The first digit explains at least 90% of the final cell state of
# *every* one of its 128 units, and the cell keeps moving: its size grows from about 0.04 after
# the first digit to about 4 after the nineteenth, while the gates stay half open (forget gates
# near 0.8, input gates near 0.55 on average). The first digit sends the cell towards one of ten
# regions, and the feedback through $h$ carries it further in that direction at every step;
# the later digits do not move it out. Change only the first digit and every row changes
# colour; change a later one and the rows barely move. The menu shows the gates instead of
# the cell. Reading one trained network is an anecdote, not a statistic: other seeds may store
# the digit differently.
#
# <div class="dlbook-live" data-dlbook-live="lstm">This box runs in the book's HTML pages; in
# JupyterLab, train a model above and call it on your own digits instead.</div>
# <script src="../web/lstm_model.js"></script>
# <script src="../web/live.js"></script>
#
# The weights are exported by `python -m lib.web export --only lstm`, which trains this model
# and writes `book/_extra/web/lstm_model.js`; the cell below reads what was exported.

# %% tags=["hide-input"]
page_lstm = read_script(web_dir() / "lstm_model.js")
trained_at = page_lstm["trained"]
top = page_lstm["order"][:3]
eta2 = decode(page_lstm["eta2"], "float32", (page_lstm["hidden"],))
assert (trained_at["length"], trained_at["seed"], trained_at["model"]) == (
    20,
    0,
    "lstm",
)
assert trained_at["heldout_accuracy"] >= 0.99 and (eta2 >= 0.9).all()
page_model = lstm_from_payload(page_lstm)
digits = palindromes(500, 20, torch.Generator().manual_seed(5))
with torch.no_grad():
    steps = page_model.states(encode(digits[:, :-1]))
size = [s.c.abs().mean().item() for s in steps]  # mean |c_t| over units and palindromes
gates = {g: torch.stack([getattr(s, g) for s in steps]).mean().item() for g in "fi"}
assert size[0] < 0.1 and 2 < size[-1] < 8 and sorted(size) == size, size
assert 0.7 < gates["f"] < 0.9 and 0.45 < gates["i"] < 0.65, gates
Markdown(
    f"The page's LSTM: trained at $T = {trained_at['length']}$ with seed "
    f"{trained_at['seed']}, {trained_at['heldout_accuracy']:.1%} right on 1,000 fresh "
    f"palindromes. Its three most first-digit-bound units are "
    + ", ".join(f"{u} ($\\eta^2 = {eta2[u]:.2f}$)" for u in top)
    + f"; {int((eta2 > 0.5).sum())} of {page_lstm['hidden']} units have $\\eta^2 > 0.5$."
)

# %% [markdown]
# ## Longer palindromes: a curriculum
#
# Above $T = 30$ plain training stops working. At initialisation each forget gate passes about 73%
# of the cell ($\sigma(1) \approx 0.73$), so the first digit's trace, and the gradient that would
# teach the network to keep it, shrink roughly like $0.73^{T}$: about $10^{-4}$ at $T = 30$ and
# $10^{-14}$ at $T = 100$. For the RNN it is worse: chapter 01 measured twenty orders of
# magnitude lost over 100 steps, the vanishing gradient of {cite:t}`bengio1994learning`.
#
# The transfer study suggests a way out: an LSTM trained at $T = 20$ already does well at
# $T = 30$, so a skill learnt on short palindromes only needs stretching. The **curriculum**
# recipe starts at $T = 10$ and multiplies the length by 1.5 each time held-out accuracy at the
# current length reaches 99% ($10, 15, 22, 33, 49, 73, 100$). The weights carry over from one
# length to the next (a recurrent network's size does not depend on $T$), and each new stage
# multiplies the learning rate by 0.7. The last part matters: after a stage the network has
# mastered, RMSprop's running average of squared gradients is tiny, and the first, larger
# gradients of the next length, divided by it, would make steps big enough to undo what was
# learnt. The stages share the run's budget of 2,000 steps. (`python -m lib.palindrome train`
# switches the curriculum on by itself above $T = 30$.)
#
# The figure shows how each seed climbed towards $T = 100$: the length being trained against the
# training step, with a dot where a seed solved $T = 100$ and a cross where its budget ran out.

# %% mystnb={"image": {"alt": "Two panels of the palindrome length being trained against the training step along the curriculum to T = 100, five seeds each: LSTM left, vanilla RNN right. The LSTM seeds climb the stages 10, 15, 22, 33, 49, 73 and 100 within 450 steps; four are marked solved there and one after another thousand steps. Three RNN seeds climb as fast, one takes about three times longer, and one reaches T = 100 early but ends with a cross at step 2,000."}}
fig = plot_curriculum(
    [r for r in runs if r["recipe"] == "curriculum" and r["length"] == 100]
)

# %% [markdown]
# For the LSTM almost all the learning happens in the first, short stage, where the first digit's
# signal is strong. Each later stage passes its threshold within one or two evaluations: a memory
# that holds $d_1$ for 10 steps holds it for 100 with little change. Every seed is above 99% at
# $T = 100$ within 450 steps (one of them then needs another thousand steps to get the last few
# of the 1,000 held-out palindromes right). The RNN climbs the same stairs, and four of its five
# seeds reach $T = 100$ too, one of them three times more slowly; across all lengths, three of
# its fifty curriculum runs ran out of budget, at 76% to 79% (the table above counts them).
#
# ## How far does the memory reach?
#
# A network trained with the curriculum to $T = 100$ has never seen a longer palindrome. How far
# does its memory carry without more training? The saved study below took both models through
# the curriculum to $T = 100$, five seeds each, and then asked each of them for the last digit of
# 300 held-out palindromes at $T = 10$, $100$, $1{,}000$, $10{,}000$ and $100{,}000$:
#
# ```
# python -m lib.palindrome transfer --seeds 0-4 --length 100 --curriculum \
#     --at 10,100,1000,10000,100000 --size 300 --out results/palindrome_long.json
# ```
#
# Palindromes that long cannot be evaluated the way the rest of the chapter does it, by building
# every input at once and running the network over them: at $T = 100{,}000$ the one-hot inputs
# alone would take 1.2 GB, and the fast LSTM's activations many times that. The study therefore
# *streams* them (`lib.palindrome.stream`): the network reads one digit at a time and keeps
# only its current $h$ and $c$, so memory does not grow with $T$; only the time does: one to two
# minutes per model at $T = 100{,}000$ on one core.

# %% mystnb={"image": {"alt": "Held-out accuracy against palindrome length on a log axis from 10 to 100,000, for models trained with the curriculum to T = 100, five seeds per model as thin lines and their median as a thick line. Every LSTM seed stays at 100 percent at every length. The vanilla RNN is at 100 percent only at T = 100 (four seeds; the fifth, which never solved T = 100, at 76 percent) and mostly below 20 percent elsewhere, near chance at T = 100,000."}} tags=["hide-input"]
long_study = load_sweep(results_dir() / "palindrome_long.json")
reach_far = {m: curves(long_study, m) for m in ("lstm", "rnn")}
fig = plot_transfer(reach_far, trained_at=100)
fig.axes[0].set_xscale("log")

# %%
rows = []
for t, lstm_accs in reach_far["lstm"].items():
    rnn_accs = reach_far["rnn"][t]
    rows.append(
        [f"{t:,}", sum(a >= 0.99 for a in lstm_accs), f"{min(lstm_accs):.3f}"]
        + [sum(a >= 0.99 for a in rnn_accs), f"{max(rnn_accs):.3f}"]
    )
header = [
    "T",
    "LSTM seeds\nat 99%",
    "LSTM\nlowest",
    "RNN seeds\nat 99%",
    "RNN\nhighest",
]
Markdown(
    markdown_table(
        header, rows, caption="Trained to T = 100, five seeds, 300 palindromes"
    )
)

# %% [markdown]
# The two networks could not differ more. All five LSTMs answer at least 99.6% of the
# palindromes at *every* length, from 10 digits to 100,000: a thousand times longer than
# anything they were trained on. The RNNs are right at $T = 100$ (the four seeds that solved
# it) and almost nowhere else: no seed reaches 99% at any other length, and at $T = 100{,}000$
# every seed is near chance (at most 11%). Like the RNN trained at $T = 20$, each one learnt to
# decode its hidden state at exactly the step it was trained on.
#
# %% tags=["hide-input"]
assert all(min(accs) >= 0.99 for accs in reach_far["lstm"].values())
assert sum(a >= 0.99 for a in reach_far["rnn"][100]) == 4
assert all(max(reach_far["rnn"][t]) < 0.99 for t in reach_far["rnn"] if t != 100)
assert max(reach_far["rnn"][100_000]) <= 0.11
assert list(reach_far["lstm"]) == [10, 100, 1_000, 10_000, 100_000]

# %% [markdown]
# ### A million digits, and what the units hold
#
# A second study takes the same recipe further: both models again through the curriculum to
# $T = 100$, five seeds each, then asked for the last digit of 100 palindromes of a *million*
# digits (fewer palindromes than above, because each one costs a million steps). It also streams
# 100 palindromes of 10,000 digits through every trained model and records what its units hold
# along the way (`lib.palindrome.memory`, the `--memory-at` flag):
#
# - for every unit, $\eta^2$ at steps 1, 10, 100, 1,000 and 9,999: the share of the variance of the
#   unit's state across the palindromes that the first digit explains. The state is the cell $c$
#   for the LSTM and $h$ for the RNN. $\eta^2 = 1$ means the unit alone tells the ten first digits
#   apart; with 100 palindromes a unit that knows nothing of the digit still scores about
#   $9/99 \approx 0.09$ by chance;
# - for the LSTM, every forget gate over the whole palindrome: its mean per unit, the largest value it
#   ever takes, and how often it rounds to exactly 1 in float32 (which happens once its
#   pre-activation exceeds about 17).
#
# ```
# python -m lib.palindrome transfer --seeds 0-4 --length 100 --curriculum --at 1000000 \
#     --memory-at 10000 --size 100 --out results/palindrome_million.json
# ```

# %%
million = load_sweep(results_dir() / "palindrome_million.json")
by_model = {
    m: sorted((r for r in million if r["model"] == m), key=lambda r: r["seed"])
    for m in ("lstm", "rnn")
}
rows = []
for model, mine in by_model.items():
    last = [r["memory"]["eta2"]["9999"] for r in mine]
    rows.append(
        [
            model.upper(),
            " / ".join(f"{r['accuracy']['1000000']:.2f}" for r in mine),
            " / ".join(str(sum(v >= 0.9 for v in units)) for units in last),
        ]
    )
header = ["model", "accuracy at\nT = 1,000,000", "units with η² ≥ 0.9\nat step 9,999"]
Markdown(markdown_table(header, rows, caption="Five seeds (0-4), 128 units each"))

# %% mystnb={"image": {"alt": "Two panels. Left: the share of units whose state tells the first digit apart (eta squared at least 0.9) against the step on a log axis from 1 to 10,000, one line per seed. Every LSTM line starts at 1 at step 1, dips a little at step 10 and stays near 1 up to step 9,999; the RNN lines start at 1, drop at step 10, recover partly or fully at step 100, the length they were trained at, and fall to between 0 and 0.41 at step 9,999. Right: a histogram of the LSTM units' mean forget gates over the palindrome, all seeds together, spread between about 0.5 and 0.97, none near 1."}} tags=["hide-input"]
fig = plot_memory(million)

# %% [markdown]
# Every LSTM answers all 100 palindromes of a million digits, ten thousand times longer than
# anything it was trained on. Every RNN is at chance there (6% to 14% right), as at
# $T = 100{,}000$.
#
# What holds the digit in the LSTM? Not a closed forget gate. Over 10,000 steps no forget gate of
# any seed ever rounds to 1 in float32: the largest value any gate takes is 0.99993, about
# $7 \cdot 10^{-5}$ below 1 (more than a thousand float32 steps), and a unit's gate averages between
# 0.53 and 0.96 over the palindrome. A cell that only kept its content would keep at most
# $0.99993^{1{,}000{,}000} \approx 10^{-30}$ of it after a million steps, and at a typical $f = 0.8$
# only $0.8^{1000} \approx 10^{-97}$ after a thousand. Yet almost every unit still tells the first
# digit apart at step 9,999: in every seed 123 to 128 of the 128 units have $\eta^2 \ge 0.9$. The
# digit is kept by being *rewritten* at every step: the hidden state $h$, fed back through
# $W_{gh}$ and the gates, produces a candidate $g$ that points the way the cell already points, so
# the cell settles into one of ten regions, one for each first digit, and the digits that follow
# are too weak to push it out. The dip at step 10 shows the settling: while the cell is still close
# to where the first few digits put it, the digits just read move it (111 to 125 units above 0.9),
# and by step 100 it has settled (127 or 128). And because $h = \tanh(c) \odot o$ saturates once the
# cell is large, the read-out sees nearly the same $h$ at step 100 and at step a million.
#
# The RNN has the same feedback, $h_t = \tanh(W_{hh} h_{t-1} + \dots)$, and its state also keeps
# knowing the first digit for a long time: at step 1,000, 0 to 125 of its units still have
# $\eta^2 \ge 0.9$, and at step 9,999 the median unit's $\eta^2$ is 0.20 to 0.89, far above the
# 0.09 of chance. What it lacks is a place to settle: its state keeps moving, and its read-out
# learnt where the ten digits lie at step 100 only, so it finds them there and almost nowhere else.
#
# The same curriculum also *trains* at any length. `python -m lib.palindrome train --model lstm
# --length 10000` goes through the stages 10, 15, ..., 163 (450 to 500 steps in all) and then,
# from $T = 200$ on, *probes* each longer stage before training it: it measures held-out accuracy
# there first and moves on when the model already passes (`TrainConfig.probe_from`). In three runs
# (seeds 0, 1 and 2, on two idle cores) every stage from 244 to 10,000 passed at its first probe,
# and every run ended with 100% of 1,000 held-out palindromes of 10,000 digits, after 2 min 5 s to
# 2 min 20 s and in at most 1.5 GB of memory. A stage that
# failed its probe would be trained, and at $T = 10{,}000$ a training step takes seconds: the
# backward pass recomputes the forward in segments of 250 steps, so that memory stays near a
# gigabyte, but time grows with $T$.

# %% tags=["hide-input"]
# The statements above, checked against the saved study.
lstm, rnn = by_model["lstm"], by_model["rnn"]
assert [r["seed"] for r in lstm] == [r["seed"] for r in rnn] == [0, 1, 2, 3, 4]
assert all(r["accuracy"]["1000000"] >= 0.99 for r in lstm)
forget = [r["memory"]["forget"] for r in lstm]
assert all(f["exactly_one"] == 0 for f in forget)  # f never reaches 1 in float32
top = max(max(f["max"]) for f in forget)
assert 0.9999 < top < 1 and top**1_000_000 < 1e-20
means = [m for f in forget for m in f["mean"]]
assert 0.5 < min(means) and max(means) < 0.97


def units_above(runs, step):  # per seed: units with eta^2 >= 0.9 at ``step``
    return [sum(v >= 0.9 for v in r["memory"]["eta2"][str(step)]) for r in runs]


assert (min(units_above(lstm, 9999)), max(units_above(lstm, 9999))) == (123, 128)
assert (min(units_above(lstm, 10)), max(units_above(lstm, 10))) == (111, 125)
assert min(units_above(lstm, 100)) >= 127
assert all(r["accuracy"]["1000000"] < 0.15 for r in rnn)  # chance
assert (min(units_above(rnn, 1000)), max(units_above(rnn, 1000))) == (0, 125)
medians = [statistics.median(r["memory"]["eta2"]["9999"]) for r in rnn]
assert 0.2 <= min(medians) and max(medians) < 0.9
assert max(units_above(rnn, 9999)) / 128 < 0.42

# %% [markdown]
# ## What the experiments show
#
# Each statement below holds for the saved seeds; the cell after the list checks it against
# them (expand it to see the code).
#
# * **Both networks learn short palindromes.** Up to $T = 10$ every seed of both models reaches
#   100%, and the vanilla RNN is as quick as the LSTM.
# * **Trained plainly, the RNN stumbles first.** From $T = 15$ on some RNN seeds fail, and at
#   $T = 25$ all do, while every LSTM seed solves every length up to $T = 20$. Near each model's
#   limit the seeds disagree: the LSTM solves $T = 25$ and $30$ in most seeds and $T = 40$ in
#   one, and nothing from $T = 50$.
# * **They learn different things.** Every LSTM seed trained at $T = 20$ still answers correctly
#   at nearby lengths: it holds $d_1$ in its cell. The RNN's read-out works at the trained length
#   only; its memory moves, in one seed like a wheel of period six.
# * **A curriculum takes both much further.** Starting short, growing the length by half at a
#   time and lowering the learning rate at each stage, every LSTM seed is above 99% at
#   $T = 100$ within 450 steps, and four of five RNN seeds reach 100% there too. So the RNN's failure under
#   plain training is a failure to *learn* from scratch, because the gradient from the last step
#   fades before it reaches the first, not a limit of what an RNN can represent.

# %% tags=["hide-input"]
plain_lstm = {t: cells[("plain", "lstm", t)].solved for t in lengths}
plain_rnn = {t: cells[("plain", "rnn", t)].solved for t in lengths}
curric = {
    m: {t: cells[("curriculum", m, t)].solved for t in lengths} for m in ("lstm", "rnn")
}
n = len(seeds)
assert all(plain_lstm[t] == plain_rnn[t] == n for t in (5, 10))
assert (
    all(plain_lstm[t] == n for t in (15, 20))
    and plain_rnn[15] < n
    and plain_rnn[25] == 0
)
assert plain_lstm[25] > n // 2 and plain_lstm[30] > n // 2 and plain_lstm[40] >= 1
assert all(plain_lstm[t] == 0 for t in lengths if t >= 50)
assert all(plain_rnn[t] == 0 for t in lengths if t >= 40)
late = [
    c for (r, m, t), c in cells.items() if r == "plain" and t >= 50
]  # failing gently
assert max(c.high for c in late if c.model == "lstm") < 0.15
assert sum(a >= 0.2 for c in late if c.model == "rnn" for a in c.accuracies) >= 8
assert all(k == n for k in curric["lstm"].values()) and curric["rnn"][100] == n - 1
first_99 = [
    next(
        x["step"] for x in r["records"] if x["length"] == 100 and x["accuracy"] >= 0.99
    )
    for r in runs
    if (r["recipe"], r["model"], r["length"]) == ("curriculum", "lstm", 100)
]
assert max(first_99) <= 450
stuck = [
    a
    for (r, m, t), c in cells.items()
    if (r, m) == ("curriculum", "rnn")
    for a in c.accuracies
    if a < 0.99
]
assert len(stuck) == 3 and all(0.76 <= a < 0.8 for a in stuck)
print("every statement above holds for the saved seeds")

# %% [markdown]
# To run a single experiment yourself, for example the LSTM at $T = 100$ (under a minute on two
# CPU cores; the curriculum switches on by itself above $T = 30$):
#
# ```
# python -m lib.palindrome train --model lstm --length 100
# ```
#
# ## Exercises
#
# Each run below takes one to three minutes on two CPU cores. One run is one sample: before you
# draw a conclusion, repeat it with two or three seeds (`--seed`).
#
# 1. **The forget bias.** Train the LSTM at $T = 25$ with the forget-gate bias at 0 instead of 1,
#    `python -m lib.palindrome train --model lstm --length 25 --forget-bias 0`, for seeds 0 to 2,
#    and compare with the saved plain runs (the table above). Does chapter 01's measurement of
#    the gradient at $b_f = 0$ predict what you see?
#
# 2. **The reports' encoding.** Repeat the plain LSTM at $T = 10$ and $T = 20$ with
#    `--encoding scalar`. How many more steps does it need than with one-hot inputs, if it learns
#    at all?
#
#    ```{admonition} Hint
#    :class: dropdown
#    With one number per digit, the network must first learn to tell ten nearby input values
#    apart before it can store one of them. The JSON line at the end of each run gives the
#    steps taken and the final accuracy.
#    ```
#
# 3. **The curriculum without the lower learning rate.** Train the RNN to $T = 100$ with
#    `python -m lib.palindrome train --model rnn --length 100 --stage-lr 1.0 --history h.json`
#    and read the run's records with `lib.palindrome.sweep.load_sweep("h.json")[0]["records"]`.
#    Look at the held-out accuracy just after each change of `length`: does it collapse more often than
#    with the default `--stage-lr 0.7`?
#
# 4. **One digit at a time?** Find a run that stopped on a plateau (the saved LSTM seeds 2
#    and 4 at $T = 25$ ended near 58% and 30%, but your machine may differ), for example with
#    `history = train(dataclasses.replace(base, length=25, seed=4))`. Draw 1,000 palindromes
#    with `palindromes(1000, 25, torch.Generator().manual_seed(1))`, `split` them, and measure
#    the accuracy of `history.model` separately for each first digit. Is it close to 100% for a
#    few digits and near chance for the rest, as the $(k+1)/10$ argument assumes?
#
#    ```{admonition} Hint
#    :class: dropdown
#    `pred = history.model(x).argmax(-1)` gives the answers; `(pred == y)[y == d].float().mean()`
#    is the accuracy on palindromes that start with digit `d`. Count also how often the model
#    answers each digit: does it guess evenly among the digits it has not learnt?
#    ```
#
# 5. **A million digits.** Train an LSTM with the curriculum to $T = 100$ and save it,
#    `python -m lib.palindrome train --length 100 --save lstm100.pt`, then ask it for the last
#    digit of palindromes of a million digits:
#    `python -m lib.palindrome evaluate --model-file lstm100.pt --length 1000000 --size 300`.
#    Evaluation streams, so memory stays under a gigabyte, but it takes five minutes or more on
#    two cores: start with `--length 100000`. Does the memory hold? Does an RNN's?
#
#    ```{admonition} Hint
#    :class: dropdown
#    The cost is one small matrix product per digit: $300 \times 128$ states times a
#    $128 \times 512$ matrix, a million times over. Halving `--size` roughly halves the time.
#    ```
