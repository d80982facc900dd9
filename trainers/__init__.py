"""Training J1 judges with TRL: the pair-aware GRPO trainer, offline DPO, recipes and ``j1 train``."""

import warnings

from transformers import TrainingArguments

# transformers >= 5.x renamed gradient_checkpointing to activation_checkpointing and warns on the old
# name, which TRL's configs always set; naming the new one keeps the run quiet.
CHECKPOINTING = (
    "activation_checkpointing"
    if "activation_checkpointing" in TrainingArguments.__dataclass_fields__
    else "gradient_checkpointing"
)
# TRL reads the deprecated `model.is_gradient_checkpointing` property on every generation step.
warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning)

# Trainer arguments for small runs on a CPU (tests, the demo, tiny recipes): full precision, no
# checkpointing or reporting, no progress bars.
CPU_SMOKE_SETTINGS = {
    "bf16": False,
    "use_cpu": True,
    CHECKPOINTING: False,
    "report_to": "none",
    "save_strategy": "no",
    "disable_tqdm": True,
}


def small_run_settings(device: str = "cpu") -> dict[str, object]:
    """Trainer arguments for small runs on ``device``: :data:`CPU_SMOKE_SETTINGS` on a CPU, bf16 on a GPU."""
    if device == "cpu":
        return dict(CPU_SMOKE_SETTINGS)
    return {**CPU_SMOKE_SETTINGS, "bf16": True, "use_cpu": False}
