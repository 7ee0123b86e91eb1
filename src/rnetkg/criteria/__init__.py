"""The criteria of the guidelines as one model (model.py), compiled to numpy for cohorts
(vectorised.py) and to OWL defined classes for the reasoner (owl.py)."""

from .model import Evaluation, Model, Statement
from .load import load_model, model_for

__all__ = ["Evaluation", "Model", "Statement", "load_model", "model_for"]
