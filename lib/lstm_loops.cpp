// The two time loops of lib/lstm_fast.py, in C++: chapter 01's equations, one fused pass per step.
//
// Built and loaded by lib/native.py (torch.utils.cpp_extension); called as
// torch.ops.dlbook_lstm.forward_loop and torch.ops.dlbook_lstm.backward_loop. The matrix
// products stay PyTorch's (at::addmm_, at::mm_out); what C++ adds is that all the pointwise work of
// one step (five exponentials per hidden unit, the cell update, the gate gradients) is one loop
// over the batch rows, split across the intra-op threads, with no Python between the steps.
// Python computes the same in lib/lstm_fast.py (_forward_loop, _backward_loop), which is also
// the fallback when no compiler is available.
//
// Layouts (time-major, contiguous; gates stacked o, i, f, g as in lib.lstm_fast.FUSED_ORDER):
//   acts  (T, B, 4H)   gate pre-activations on entry to forward_loop, activations o, i, f, g after
//   Z     (T+1, B, X+H) [x_t | 1 | h_{t-1}] rows; forward_loop writes h_t into Z[t+1, :, X:]
//   C     (T+1, B, H)   cell states, C[0] = c_0 = 0
//   TC    (T, B, H)     tanh(c_t)
//   d     (T, B, 4H)    gradients of the gate pre-activations (written by backward_loop)

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <cmath>
#include <cstdint>

namespace {

constexpr int64_t kRowsPerTask = 8;  // batch rows per parallel task: 128 rows feed 2 threads

template <typename scalar_t>
inline scalar_t sigmoid(scalar_t z) {
  return scalar_t(1) / (scalar_t(1) + std::exp(-z));  // exp(-z) = inf for very negative z gives 0
}

template <typename scalar_t>
inline scalar_t tanh_via_sigmoid(scalar_t z) {
  return scalar_t(2) * sigmoid(scalar_t(2) * z) - scalar_t(1);  // one exponential, like sigmoid
}

// Forward, one step, batch rows [b0, b1):
//   o, i, f = σ(z_o), σ(z_i), σ(z_f)   g = tanh(z_g)   c = g ⊙ i + c_prev ⊙ f   h = tanh(c) ⊙ o
template <typename scalar_t>
void cell_rows(scalar_t* a, const scalar_t* c_prev, scalar_t* c, scalar_t* tc, scalar_t* h,
               int64_t h_stride, int64_t H, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    scalar_t* a_o = a + b * 4 * H;
    scalar_t* a_i = a_o + H;
    scalar_t* a_f = a_i + H;
    scalar_t* a_g = a_f + H;
    const scalar_t* cp = c_prev + b * H;
    scalar_t* c_b = c + b * H;
    scalar_t* tc_b = tc + b * H;
    scalar_t* h_b = h + b * h_stride;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const scalar_t o = sigmoid(a_o[j]), i = sigmoid(a_i[j]), f = sigmoid(a_f[j]);
      const scalar_t g = tanh_via_sigmoid(a_g[j]);
      const scalar_t c_j = g * i + cp[j] * f;
      const scalar_t tc_j = tanh_via_sigmoid(c_j);
      a_o[j] = o;
      a_i[j] = i;
      a_f[j] = f;
      a_g[j] = g;
      c_b[j] = c_j;
      tc_b[j] = tc_j;
      h_b[j] = tc_j * o;
    }
  }
}

// acts (T, B, 4H) holds [x_t | 1] W_x^T for every step on entry; W_hT (H, 4H) is W_h transposed.
void forward_loop(at::Tensor acts, const at::Tensor& W_hT, at::Tensor Z, at::Tensor C, at::Tensor TC,
                  int64_t X) {
  const int64_t T = acts.size(0), B = acts.size(1), H = C.size(2), h_stride = Z.size(2);
  TORCH_CHECK(acts.is_contiguous() && Z.is_contiguous() && C.is_contiguous() && TC.is_contiguous(),
              "forward_loop: acts, Z, C and TC must be contiguous");
  for (int64_t t = 0; t < T; ++t) {
    at::Tensor a = acts[t];                                   // (B, 4H)
    if (t > 0) a.addmm_(Z[t].narrow(1, X, H), W_hT);          // h_0 = 0 adds nothing at t = 0
    AT_DISPATCH_FLOATING_TYPES(acts.scalar_type(), "forward_loop", [&] {
      scalar_t* a_p = a.data_ptr<scalar_t>();
      const scalar_t* c_prev = C[t].data_ptr<scalar_t>();
      scalar_t* c = C[t + 1].data_ptr<scalar_t>();
      scalar_t* tc = TC[t].data_ptr<scalar_t>();
      scalar_t* h = Z[t + 1].data_ptr<scalar_t>() + X;
      at::parallel_for(0, B, kRowsPerTask, [&](int64_t b0, int64_t b1) {
        cell_rows<scalar_t>(a_p, c_prev, c, tc, h, h_stride, H, b0, b1);
      });
    });
  }
}

// Backward, one step, batch rows [b0, b1), with σ' = s(1 - s) and tanh' = 1 - tanh²:
//   dc += dh ⊙ o ⊙ (1 - tanh²(c))     dz_o = dh ⊙ tanh(c) ⊙ o'
//   dz_i = dc ⊙ g ⊙ i'   dz_f = dc ⊙ c_prev ⊙ f'   dz_g = dc ⊙ i ⊙ (1 - g²)   dc_prev = dc ⊙ f
template <typename scalar_t>
void gate_grad_rows(const scalar_t* a, const scalar_t* c_prev, const scalar_t* tc, const scalar_t* dh,
                    scalar_t* dc, scalar_t* d, int64_t H, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const scalar_t* a_o = a + b * 4 * H;
    const scalar_t* a_i = a_o + H;
    const scalar_t* a_f = a_i + H;
    const scalar_t* a_g = a_f + H;
    scalar_t* d_o = d + b * 4 * H;
    scalar_t* d_i = d_o + H;
    scalar_t* d_f = d_i + H;
    scalar_t* d_g = d_f + H;
    const scalar_t* cp = c_prev + b * H;
    const scalar_t* tc_b = tc + b * H;
    const scalar_t* dh_b = dh + b * H;
    scalar_t* dc_b = dc + b * H;
#pragma omp simd
    for (int64_t j = 0; j < H; ++j) {
      const scalar_t o = a_o[j], i = a_i[j], f = a_f[j], g = a_g[j], tc_j = tc_b[j];
      const scalar_t dc_j = dc_b[j] + dh_b[j] * o * (scalar_t(1) - tc_j * tc_j);
      d_o[j] = dh_b[j] * tc_j * o * (scalar_t(1) - o);
      d_i[j] = dc_j * g * i * (scalar_t(1) - i);
      d_f[j] = dc_j * cp[j] * f * (scalar_t(1) - f);
      d_g[j] = dc_j * i * (scalar_t(1) - g * g);
      dc_b[j] = dc_j * f;
    }
  }
}

// dh (B, H) holds dL/dh_T on entry and is used as scratch; dc (B, H) must be zero on entry.
// Fills d (T, B, 4H); W_h (4H, H) carries dh_{t-1} = dz_t W_h back one step.
void backward_loop(at::Tensor dh, at::Tensor dc, const at::Tensor& acts, const at::Tensor& C,
                   const at::Tensor& TC, const at::Tensor& W_h, at::Tensor d) {
  const int64_t T = acts.size(0), B = acts.size(1), H = C.size(2);
  TORCH_CHECK(dh.is_contiguous() && dc.is_contiguous() && acts.is_contiguous() && C.is_contiguous() &&
                  TC.is_contiguous() && d.is_contiguous(),
              "backward_loop: dh, dc, acts, C, TC and d must be contiguous");
  for (int64_t t = T - 1; t >= 0; --t) {
    at::Tensor d_t = d[t];                                    // (B, 4H)
    AT_DISPATCH_FLOATING_TYPES(acts.scalar_type(), "backward_loop", [&] {
      const scalar_t* a = acts[t].data_ptr<scalar_t>();
      const scalar_t* c_prev = C[t].data_ptr<scalar_t>();
      const scalar_t* tc = TC[t].data_ptr<scalar_t>();
      const scalar_t* dh_p = dh.data_ptr<scalar_t>();
      scalar_t* dc_p = dc.data_ptr<scalar_t>();
      scalar_t* d_p = d_t.data_ptr<scalar_t>();
      at::parallel_for(0, B, kRowsPerTask, [&](int64_t b0, int64_t b1) {
        gate_grad_rows<scalar_t>(a, c_prev, tc, dh_p, dc_p, d_p, H, b0, b1);
      });
    });
    if (t > 0) at::mm_out(dh, d_t, W_h);                      // (B, H) = (B, 4H) @ (4H, H)
  }
}

}  // namespace

TORCH_LIBRARY(dlbook_lstm, m) {
  m.def("forward_loop(Tensor(a!) acts, Tensor W_hT, Tensor(b!) Z, Tensor(c!) C, Tensor(d!) TC, int X) -> ()",
        &forward_loop);
  m.def("backward_loop(Tensor(a!) dh, Tensor(b!) dc, Tensor acts, Tensor C, Tensor TC, Tensor W_h, "
        "Tensor(c!) d) -> ()",
        &backward_loop);
}
