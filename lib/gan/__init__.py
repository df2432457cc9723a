"""The fully connected GAN of chapters 03 and 04 (``python -m lib.gan``).

models          Generator, Discriminator (exactly the reports' layers), sampling in eval mode
losses          the discriminator's loss and the saturating and non-saturating generator losses
config          GANConfig: the typed, validated training configuration
steps           one discriminator step, the non-saturating generator step(s), the weight average
train           TrainState, new_state and the epoch loop around those steps
checkpoints     the training state and the generator as safe, atomically written checkpoints
snapshots       5×5 grids and strips as images
interpolate     linear and spherical paths between two digits' noise vectors
evaluate        FID, its real-vs-real floor, class coverage and the Inception-style score
cache           default_run / default_generator: the chapters' generator, trained once and cached
seeds           the default recipe over several seeds: what the chapters claim
seed_results    their file (results/gan_seeds.json): the summary over seeds, resuming
tables          small HTML tables for the chapters' outputs
plots           the chapters' figures (snapshots, losses, FID, class counts, norms, strips)
recipe_plots    the recipe comparison's figures (screening FID; the final stage's targets)
widgets         the live ipywidgets slider of chapter 04 (JupyterLab)
args            argparse types and shared flags of the command line
train_cli       ``python -m lib.gan train``: a resumable run into a folder
seeds_cli       ``python -m lib.gan seeds``: the seeds into results/gan_seeds.json
sample_cli      ``python -m lib.gan sample``: a grid of generated digits
interpolate_cli ``python -m lib.gan interpolate``: a strip from one digit to another
evaluate_cli    ``python -m lib.gan evaluate``: FID, floor and class counts as JSON
"""

from lib.gan.cache import DEFAULT_CONFIG, default_generator, default_run
from lib.gan.config import GANConfig
from lib.gan.models import Discriminator, Generator, eval_mode, sample

__all__ = [
    "DEFAULT_CONFIG",
    "Discriminator",
    "GANConfig",
    "Generator",
    "default_generator",
    "default_run",
    "eval_mode",
    "sample",
]
