"""Training J1 judges with TRL: the pair-aware GRPO trainer, offline DPO, recipes and ``j1 train``."""
