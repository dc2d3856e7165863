"""A plain-torch stand-in for TRL's Triton log-prob kernel, for machines without Triton (UI-free core).

TRL 1.15's GRPOTrainer always scores completions through `trl.kernels.ChunkedLogProbFunction`, a
Triton kernel; where Triton is missing (CPU-only torch builds) TRL leaves it as None and training
fails. This computes the same outputs with ordinary torch ops and autograd, token chunk by token
chunk. It is installed only when TRL's own kernel is unavailable.
"""

from __future__ import annotations

import torch

TOKEN_CHUNK = 1024


def _chunk(hidden, weight, bias, targets, temperature, softcap, logit_scale, outputs):
    dtype = torch.get_autocast_dtype(hidden.device.type) if torch.is_autocast_enabled(hidden.device.type) else hidden.dtype
    z = hidden.to(dtype) @ weight.to(dtype).t()
    if bias is not None:
        z = z + bias.to(dtype)
    z = z.float() * logit_scale
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    z = z / temperature
    log_z = torch.logsumexp(z, dim=-1)
    target_z = z.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    logprobs = target_z - log_z
    entropy = None
    if "entropy" in outputs:
        p = torch.softmax(z, dim=-1)
        entropy = log_z - (p * z).sum(-1)
    with torch.no_grad():
        lssp = torch.logsumexp(2 * z, dim=-1) - 2 * log_z if "log_sum_sq_probs" in outputs else None
        mean = z.mean(-1) if "mean_logits" in outputs else None
        top1 = z.argmax(-1) == targets if "is_top1" in outputs else None
    return logprobs, entropy, lssp, mean, top1


class TorchChunkedLogProb:
    """Same call and outputs as `trl.kernels.ChunkedLogProbFunction.apply`."""

    @staticmethod
    def apply(hidden, weight, bias, targets, temperature, chunk_size, final_logit_softcapping=None,
              logit_scale=1.0, outputs=("entropy",)):
        parts = [
            _chunk(hidden[s : s + TOKEN_CHUNK], weight, bias, targets[s : s + TOKEN_CHUNK], temperature,
                   final_logit_softcapping, logit_scale, outputs)
            for s in range(0, max(1, hidden.shape[0]), TOKEN_CHUNK)
        ]
        if hidden.shape[0] == 0:
            return _chunk(hidden, weight, bias, targets, temperature, final_logit_softcapping, logit_scale, outputs)
        return tuple(None if parts[0][i] is None else torch.cat([p[i] for p in parts]) for i in range(5))


def install_if_needed() -> bool:
    """Put the torch version in place where TRL has no Triton kernel; returns True when it did."""
    import trl.trainer.utils as trl_utils

    if getattr(trl_utils, "_ChunkedLogProbFunction", None) is None:
        trl_utils._ChunkedLogProbFunction = TorchChunkedLogProb
        return True
    return False
