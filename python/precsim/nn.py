"""Training helpers: a fake-quantized Linear layer and an optimizer wrapper that keeps the weights in a
low-precision format (docs/torch.md)."""

import torch

import precsim

__all__ = ["Quantizer", "QuantLinear", "LowPrecisionOptimizer"]


class Quantizer:
    """What a tensor is rounded to: a format (element or block format, a name, or None for no
    rounding) and the rounding options of precsim.quantize. ``clip`` (for weights and activations)
    zeroes the gradient where the forward clipped."""

    def __init__(self, format=None, mode="nearest_even", saturate="none", random_bits=0, variant="c", clip=False):
        self.format = precsim._any_format(format)
        self.options = precsim._round_options(mode, saturate, random_bits, variant)
        if not isinstance(clip, bool):
            raise TypeError(f"clip must be a bool, not {type(clip).__name__}")
        self.clip = clip

    @staticmethod
    def of(q):
        return q if isinstance(q, Quantizer) else Quantizer(q)

    def fake(self, x, seed=None, stream=None):
        """Straight-through fake quantization of x."""
        return precsim.fake_quantize(x, self.format, seed=seed, stream=stream, clip=self.clip, **self.options)

    def round(self, x, seed=None, stream=None, out=None):
        """x rounded (no autograd): element formats keep x's dtype, block formats take float32 rows;
        into ``out`` when given (x itself: in place)."""
        if self.format is None:
            return x if out is None else out.copy_(x)
        if isinstance(self.format, precsim.BlockFormat):
            return precsim.quantize_blocks(x, self.format, seed=seed, stream=stream, out=out, **self.options)
        return precsim.quantize(x, self.format, seed=seed, stream=stream, out=out, **self.options)

    def __repr__(self):
        return f"Quantizer({self.format!r}, {self.options['mode']})"


class _RoundGradient(torch.autograd.Function):
    """Identity forward; the backward rounds the incoming gradient."""

    @staticmethod
    def forward(ctx, y, quantizer, seed, stream):
        ctx.quantizer, ctx.seed, ctx.stream = quantizer, seed, stream
        return y.view_as(y)

    @staticmethod
    def backward(ctx, grad):
        return ctx.quantizer.round(grad.contiguous(), ctx.seed, ctx.stream), None, None, None


class QuantLinear(torch.nn.Linear):
    """torch.nn.Linear computing ``q_a(x) @ q_w(W)^T + b`` with straight-through gradients, and the
    gradient flowing back from the output rounded by ``q_g``. Each of ``weight``, ``activation``,
    ``gradient`` is a format (name, Format, BlockFormat), a Quantizer, or None (float32). Block
    formats tile the last dimension: the input features for x and W (the reduction of the GEMM).

    With ``seed`` set, stochastic rounding is reproducible: the k-th forward call rounds the weight,
    the activation and (in its backward) the gradient with the streams 4k, 4k + 1, 4k + 2 of that
    seed; without, every rounding takes a fresh default stream."""

    def __init__(self, in_features, out_features, bias=True, weight=None, activation=None, gradient=None, seed=None):
        super().__init__(in_features, out_features, bias)
        self.qw, self.qa, self.qg = Quantizer.of(weight), Quantizer.of(activation), Quantizer.of(gradient)
        self.seed = precsim._int(seed, "seed", 0, precsim._MAX_U64, optional=True)
        self.calls = 0

    def _stream(self, role):
        return None if self.seed is None else 4 * self.calls + role

    def forward(self, x):
        w = self.qw.fake(self.weight, self.seed, self._stream(0))
        xq = self.qa.fake(x, self.seed, self._stream(1))
        y = torch.nn.functional.linear(xq, w, self.bias)
        if self.qg.format is not None:
            y = _RoundGradient.apply(y, self.qg, self.seed, self._stream(2))
        self.calls += 1
        return y

    def extra_repr(self):
        return f"{super().extra_repr()}, weight={self.qw}, activation={self.qa}, gradient={self.qg}"


def _round_param(quantizer, p, seed=None, stream=None):
    """Rounds a parameter in place (through a contiguous copy where it is not contiguous)."""
    w = p.detach()
    if w.is_contiguous():
        quantizer.round(w, seed, stream, out=w)
    else:
        w.copy_(quantizer.round(w.contiguous(), seed, stream))


class LowPrecisionOptimizer:
    """Wraps a torch optimizer so that the weights live in a low-precision format: after each step
    of the wrapped optimizer (which computes the update in float32 from the stored weights), every
    parameter is rounded back into ``format`` (nearest or stochastic rounding, so that updates
    smaller than half a step survive in expectation). The weights are rounded (nearest even) once
    when wrapped. Stochastic rounding is reproducible and order-free: parameter i (in
    param_groups order) at step s uses precsim.update_stream(seed, s, i), the C++ optimizer steps'
    streams, so every process of a data-parallel run rounds identically."""

    def __init__(self, optimizer, format, mode="stochastic", saturate="none", random_bits=0, variant="c", seed=0):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer, not {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.quantizer = Quantizer(format, mode, saturate, random_bits, variant)
        self.seed = precsim._int(seed, "seed", 0, precsim._MAX_U64)
        self.steps = 0
        with torch.no_grad():
            for p in self._params():
                _round_param(Quantizer(format, "nearest_even", saturate), p)

    def _params(self):
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        loss = self.optimizer.step(closure)
        for i, p in enumerate(self._params()):
            _round_param(self.quantizer, p, *precsim.update_stream(self.seed, self.steps, i))
        self.steps += 1
        return loss

    def state_dict(self):
        return {"optimizer": self.optimizer.state_dict(), "steps": self.steps}

    def load_state_dict(self, state):
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps = state["steps"]
