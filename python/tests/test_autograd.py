"""Straight-through gradients, the torch custom ops (eager and TorchScript), and precsim.nn."""
import pytest
import torch

import precsim
from conftest import bits, inputs


def test_ste_with_rounding_off_passes_gradcheck():
    x = torch.randn(20, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: precsim.fake_quantize(t, None), (x,))
    assert torch.autograd.gradcheck(lambda t: precsim.fake_quantize(t, "float64"), (x,))
    assert torch.autograd.gradcheck(lambda t: precsim.fake_quantize(t * t, None).sum(), (x,))


def test_ste_forward_rounds_and_backward_passes_the_gradient():
    x = (torch.randn(1000) * 300).requires_grad_()
    y = precsim.fake_quantize(x, "float8_e4m3fn", mode="stochastic", seed=1, stream=4)
    assert torch.equal(bits(y.detach()),
                       bits(precsim.quantize(x.detach(), "float8_e4m3fn", mode="stochastic", seed=1, stream=4)))
    g = torch.randn(1000)
    y.backward(g)
    assert torch.equal(x.grad, g)


def test_clipped_ste_zeroes_the_gradient_beyond_the_grid():
    # float8_e4m3fn: max 448, last step 32: inputs beyond 448 + 16 are clipped; NaN is not
    x = torch.tensor([0.0, 100.0, 463.9, 464.0, 464.01, 1000.0, -464.0, -464.01, float("inf"), float("-inf"),
                      float("nan")], requires_grad=True)
    precsim.fake_quantize(x, "float8_e4m3fn", clip=True).backward(torch.ones(11))
    assert x.grad.tolist() == [1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1]
    x.grad = None
    precsim.fake_quantize(x, "float8_e4m3fn").backward(torch.ones(11))
    assert x.grad.tolist() == [1] * 11
    # Unsigned P3109 format: negative values beyond half the smallest value are clipped
    u = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    precsim.fake_quantize(u, "binary8p3uf", clip=True).backward(torch.ones(3))
    assert u.grad.tolist() == [0, 1, 1]


def test_clipped_ste_on_block_formats_marks_scaled_values_beyond_the_element_range():
    # MX floor_pow2 scales may clip the block max: amax = 1.9 * 2^4 -> scale 2^(4 - 8), scaled
    # max 486.4 > 448 + 16
    x = torch.full((2, 32), 0.5)
    x[0, 3] = 1.9 * 16
    x[1, 5] = -1.75 * 16  # scaled 448: on the grid
    x.requires_grad_()
    y = precsim.fake_quantize(x, "mxfp8_e4m3", clip=True)
    assert torch.equal(y.detach(), precsim.quantize_blocks(x.detach(), "mxfp8_e4m3"))
    y.backward(torch.ones(2, 32))
    want = torch.ones(2, 32)
    want[0, 3] = 0
    assert torch.equal(x.grad, want)


def test_half_tensors_take_the_element_ste():
    x = torch.randn(64, dtype=torch.bfloat16, requires_grad=True)
    y = precsim.fake_quantize(x, "float8_e5m2")
    assert y.dtype == torch.bfloat16
    assert torch.equal(bits(y.detach()), bits(precsim.quantize(x.detach(), "float8_e5m2")))
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones(64, dtype=torch.bfloat16))


def test_custom_ops_equal_the_python_calls():
    x = inputs(torch.float32, n=500)
    ops = torch.ops.precsim
    for mode in precsim.MODES:
        sr = dict(seed=3, stream=1 << 62, offset=7)
        assert torch.equal(bits(ops.quantize(x, "float8_e4m3fn", mode=mode, saturate="finite", **sr)),
                           bits(precsim.quantize(x, "float8_e4m3fn", mode=mode, saturate="finite", **sr)))
    codes = ops.encode(x, "binary8p3se", mode="toward_zero")
    assert torch.equal(codes, precsim.encode(x, "binary8p3se", mode="toward_zero"))
    assert torch.equal(bits(ops.decode(codes, "binary8p3se", torch.float64)),
                       bits(precsim.decode(codes, "binary8p3se", torch.float64)))
    w = torch.randn(16, 64)
    assert torch.equal(ops.quantize_blocks(w, "int4_g32", mode="stochastic", random_bits=8, seed=1, stream=2),
                       precsim.quantize_blocks(w, "int4_g32", mode="stochastic", random_bits=8, seed=1, stream=2))
    # Seeds are int64 in the op schema: a negative seed is its uint64 pattern
    assert torch.equal(bits(ops.quantize(x, "bfloat16", mode="stochastic", seed=-1, stream=0)),
                       bits(precsim.quantize(x, "bfloat16", mode="stochastic", seed=(1 << 64) - 1, stream=0)))


@torch.jit.script
def _scripted(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    xq = torch.ops.precsim.fake_quantize(x, "float8_e4m3fn", clip=True)
    wq = torch.ops.precsim.fake_quantize(w, "mxfp8_e4m3", mode="stochastic", seed=5, stream=0)
    return torch.ops.precsim.quantize(xq @ wq, "bfloat16")


def test_ops_are_scriptable_and_differentiable_in_torchscript():
    x = (torch.randn(4, 32) * 200).requires_grad_()  # some beyond 464: NaN and a zero gradient
    w = torch.randn(32, 8).requires_grad_()
    y = _scripted(x, w)
    wq = precsim.quantize_blocks(w.detach(), "mxfp8_e4m3", mode="stochastic", seed=5, stream=0)
    want = precsim.quantize(precsim.quantize(x.detach(), "float8_e4m3fn") @ wq, "bfloat16")
    assert torch.equal(bits(y.detach()), bits(want))
    # quantize is not differentiable; the fake_quantize before it is: differentiate xq @ wq
    x.grad = None
    z = torch.ops.precsim.fake_quantize(x, "float8_e4m3fn", clip=True) @ torch.ops.precsim.fake_quantize(
        w, "mxfp8_e4m3", mode="stochastic", seed=5, stream=0)
    z.sum().backward()
    mask = (x.detach().abs() <= 464).float()
    assert torch.allclose(x.grad, mask * wq.sum(1).expand(4, 32), rtol=0, atol=1e-4)
    assert "precsim::fake_quantize" in str(_scripted.graph)


def test_quant_linear_rounds_weight_activation_and_gradient():
    torch.manual_seed(0)
    layer = precsim.nn.QuantLinear(64, 16, weight="mxfp4_e2m1", activation="float8_e4m3fn", gradient="float8_e5m2")
    x = torch.randn(8, 64, requires_grad=True)
    y = layer(x)
    wq = precsim.quantize_blocks(layer.weight.detach(), "mxfp4_e2m1")
    xq = precsim.quantize(x.detach(), "float8_e4m3fn")
    assert torch.equal(y.detach(), torch.nn.functional.linear(xq, wq, layer.bias.detach()))
    g = torch.randn(8, 16)
    y.backward(g)
    gq = precsim.quantize(g, "float8_e5m2")
    assert torch.equal(layer.weight.grad, gq.t() @ xq)
    assert torch.equal(x.grad, gq @ wq)
    assert torch.equal(layer.bias.grad, gq.sum(0))


def test_quant_linear_with_a_seed_is_reproducible():
    def run():
        torch.manual_seed(1)
        layer = precsim.nn.QuantLinear(32, 8, weight=precsim.nn.Quantizer("float8_e4m3fn", "stochastic"),
                                       gradient=precsim.nn.Quantizer("float8_e5m2", "stochastic"), seed=9)
        x = torch.randn(4, 32)
        outs = [layer(x) for _ in range(3)]
        sum(o.sum() for o in outs).backward()
        return torch.stack(outs).detach(), layer.weight.grad

    (a, ga), (b, gb) = run(), run()
    assert torch.equal(a, b) and torch.equal(ga, gb)
    assert not torch.equal(a[0], a[1])  # each call has its own streams


@pytest.mark.parametrize("fmt,mode", [("bfloat16", "stochastic"), ("float8_e4m3fn", "nearest_even"),
                                      ("int8_channel", "stochastic")])
def test_low_precision_optimizer_keeps_weights_on_the_format_with_keyed_streams(fmt, mode):
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.Linear(8, 1))
    opt = precsim.nn.LowPrecisionOptimizer(torch.optim.SGD(model.parameters(), lr=0.05), fmt, mode=mode, seed=77)
    block = fmt == "int8_channel"
    rnd = precsim.quantize_blocks if block else precsim.quantize
    for step in range(3):
        before = [p.detach().clone() for p in model.parameters()]
        opt.zero_grad()
        model(torch.randn(32, 16)).pow(2).mean().backward()
        grads = [p.grad.clone() for p in model.parameters()]
        opt.step()
        for i, (p, w, g) in enumerate(zip(model.parameters(), before, grads)):
            seed, stream = precsim.update_stream(77, step, i)
            assert stream == (step << 20) | i
            want = rnd(w.add(g, alpha=-0.05), fmt, mode=mode, seed=seed, stream=stream)
            assert torch.equal(p.detach(), want), (step, i)
    assert opt.state_dict()["steps"] == 3
