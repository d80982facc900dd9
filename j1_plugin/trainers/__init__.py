"""Training J1 judges with TRL: the pair-aware GRPO trainer, offline DPO, recipes and ``j1 train``."""

# Trainer arguments for small runs on a CPU (tests, the demo, tiny recipes): full precision, no
# checkpointing or reporting, no progress bars.
CPU_SMOKE_SETTINGS = {
    "bf16": False,
    "use_cpu": True,
    "gradient_checkpointing": False,
    "report_to": "none",
    "save_strategy": "no",
    "disable_tqdm": True,
}
