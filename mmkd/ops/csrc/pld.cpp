// Copyright (c) mmkd contributors. All rights reserved.
//
// PLD (mmkd/losses/pld.py): the Plackett-Luce NLL of each row of student logits in a given order and its
// gradient, the CPU twin of ``_PlackettLuceRows`` (same formulas, float32 in and out). With s_k the student
// logits in the order perm, M the row maximum, e_k = exp(s_k - M) and the suffix sums S_k = sum_{m >= k} e_m:
//
//   loss = sum_k alpha_k max(log S_k - (s_k - M), 0)                 (= sum_k alpha_k (L_k - s_k))
//   d loss / d s_k = min(e_k sum_{m <= k} alpha_m / S_m, 1) - alpha_k
//
// One pass per row, rows in parallel (at::parallel_for): a gather, a vectorised exp, the suffix sums and the
// prefix sums of alpha / S accumulated in double (sequential, C additions each), a vectorised log and division, and
// the gradient scattered back to the class order. A row whose logits span more than 80 is computed in double
// (wide_row), so nothing underflows below a span of ~700, and S_k is clamped to the smallest normal number: the
// loss and the gradient are finite for any finite logits.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include "fast_math.h"

#include <algorithm>
#include <cfloat>
#include <tuple>
#include <vector>

namespace mmkd_ops {
namespace {

// A row whose logits span more than 80: the same formulas in double with the library's exp and log (exact to
// a span of ~700; beyond, the clamps keep everything finite). s holds the logits in rank order.
template <bool GRAD>
void wide_row(const float* s, const int64_t* pr, const float* ar, float* loss, float* grad, int c, float top) {
  std::vector<double> e(c), suffix(c);
  double acc = 0.0;
  for (int k = c - 1; k >= 0; --k) {
    e[k] = std::exp(static_cast<double>(s[k]) - top);
    acc += e[k];
    suffix[k] = std::max(acc, DBL_MIN);
  }
  double total = 0.0;
  for (int k = 0; k < c; ++k) {
    total += ar[k] * std::max(std::log(suffix[k]) - (static_cast<double>(s[k]) - top), 0.0);
  }
  *loss = static_cast<float>(total);
  if constexpr (GRAD) {
    double prefix = 0.0;
    for (int k = 0; k < c; ++k) {
      prefix += ar[k] / suffix[k];
      grad[pr[k]] = static_cast<float>(std::min(e[k] * prefix, 1.0) - ar[k]);
    }
  }
}

template <bool GRAD>
void pld_rows(const float* s, const int64_t* perm, const float* alpha, float* loss, float* grad, int64_t n, int c) {
  const int64_t grain = std::max<int64_t>(1, 16384 / c);
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    std::vector<float> shifted(c), e(c), suffix(c), tmp(c);
    for (int64_t row = begin; row < end; ++row) {
      const float* sr = s + row * c;
      const int64_t* pr = perm + row * c;
      const float* ar = alpha + row * c;
      float top = -FLT_MAX, bottom = FLT_MAX;
      for (int k = 0; k < c; ++k) {
        shifted[k] = sr[pr[k]];
        top = std::max(top, shifted[k]);
        bottom = std::min(bottom, shifted[k]);
      }
      if (static_cast<double>(top) - bottom > 80.0) {  // a wide row: exp would underflow in float
        wide_row<GRAD>(shifted.data(), pr, ar, loss + row, GRAD ? grad + row * c : nullptr, c, top);
        continue;
      }
#pragma omp simd
      for (int k = 0; k < c; ++k) {
        const float x = shifted[k] - top;
        float em, ex;
        expm1_exp_nonpositive(std::max(x, -87.0f), em, ex);
        shifted[k] = x;
        e[k] = x < -87.0f ? 0.0f : ex;
      }
      double acc = 0.0;
      for (int k = c - 1; k >= 0; --k) {
        acc += e[k];
        suffix[k] = std::max(static_cast<float>(acc), FLT_MIN);
      }
      float row_loss = 0.0f;
#pragma omp simd reduction(+ : row_loss)
      for (int k = 0; k < c; ++k) row_loss += ar[k] * std::max(log_positive(suffix[k]) - shifted[k], 0.0f);
      loss[row] = row_loss;
      if constexpr (GRAD) {
#pragma omp simd
        for (int k = 0; k < c; ++k) tmp[k] = ar[k] / suffix[k];
        double prefix = 0.0;
        for (int k = 0; k < c; ++k) {
          prefix += tmp[k];
          tmp[k] = static_cast<float>(std::min(static_cast<double>(e[k]) * prefix, 1.0));
        }
        float* gr = grad + row * c;
        for (int k = 0; k < c; ++k) gr[pr[k]] = tmp[k] - ar[k];
      }
    }
  });
}

}  // namespace

// loss [N] and (with_grad) grad [N, C] = d loss_n / d preds_S[n] in the class order (else an empty tensor).
std::tuple<at::Tensor, at::Tensor> pld_forward(const at::Tensor& preds_S, const at::Tensor& perm,
                                               const at::Tensor& alpha, bool with_grad) {
  TORCH_CHECK(preds_S.dim() == 2 && perm.sizes() == preds_S.sizes() && alpha.sizes() == preds_S.sizes(),
              "pld_forward: preds_S, perm and alpha must be [N, C] of the same shape");
  TORCH_CHECK(preds_S.scalar_type() == at::kFloat && alpha.scalar_type() == at::kFloat &&
                  perm.scalar_type() == at::kLong,
              "pld_forward: float32 logits and weights, int64 perm");
  TORCH_CHECK(preds_S.device().is_cpu() && perm.device().is_cpu() && alpha.device().is_cpu(),
              "pld_forward: CPU tensors only");
  TORCH_CHECK(preds_S.is_contiguous() && perm.is_contiguous() && alpha.is_contiguous(),
              "pld_forward: contiguous inputs only");
  const int64_t n = preds_S.size(0);
  const int64_t c64 = preds_S.size(1);
  TORCH_CHECK(c64 >= 1 && c64 <= (int64_t{1} << 24), "pld_forward: need 1 <= C <= 2^24, got C = ", c64);
  const int c = static_cast<int>(c64);
  at::Tensor loss = at::empty({n}, preds_S.options());
  at::Tensor grad = with_grad ? at::empty({n, c64}, preds_S.options()) : at::empty({0}, preds_S.options());
  if (n == 0) return {loss, grad};
  if (with_grad) {
    pld_rows<true>(preds_S.data_ptr<float>(), perm.data_ptr<int64_t>(), alpha.data_ptr<float>(),
                   loss.data_ptr<float>(), grad.data_ptr<float>(), n, c);
  } else {
    pld_rows<false>(preds_S.data_ptr<float>(), perm.data_ptr<int64_t>(), alpha.data_ptr<float>(),
                    loss.data_ptr<float>(), nullptr, n, c);
  }
  return {loss, grad};
}

}  // namespace mmkd_ops

TORCH_LIBRARY_FRAGMENT(mmkd_cpu, m) {
  m.def("pld_forward(Tensor preds_S, Tensor perm, Tensor alpha, bool with_grad) -> (Tensor, Tensor)",
        &mmkd_ops::pld_forward);
}
