"""Modeling code for the fixture architecture."""
import math
import os

import torch
from torch import nn

from .configuration_fixture import FixtureConfig


class FixtureModel(nn.Module):
    """A tiny model; eval() and the word subprocess in a docstring are
    harmless."""

    def __init__(self, config: FixtureConfig):
        super().__init__()
        self.proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.cache_dir = os.path.join(os.path.dirname(__file__), "cache")
        # exec("nothing") in a comment is not code

    def forward(self, x):
        self.eval()
        return self.proj(x) / math.sqrt(x.shape[-1])
