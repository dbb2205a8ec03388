// Copyright (c) mmkd contributors. All rights reserved.
//
// RKKD (mmkd/losses/rkkd.py): the differentiable Kendall's tau of each row of [N, C] logits and its analytic
// gradient, the CPU twin of ``rkkd_tau_and_grad_chunked`` (same semantics, float32 in and out):
//
//   tau_n    = scale * sum_{i,j} f(Dt_ij, Ds_ij),        scale = 1 / (C (C - 1)),
//   grad_n,i = 2 * scale * sum_j g_ij,                   g = df / dDs,
//
//   'tanh'    f = tanh(k Dt) tanh(k Ds)   g = k tanh(k Dt) sech^2(k Ds)
//   'product' f = tanh(k Dt Ds)           g = k Dt sech^2(k Dt Ds)
//   'sign'    f = sgn(Dt) tanh(k Ds)      g = k sgn(Dt) sech^2(k Ds)
//
// How it is fast (each row is independent; rows run in parallel with at::parallel_for):
// * f(Dt_ji, Ds_ji) = f(-Dt, -Ds) = f(Dt, Ds) and g_ji = -g_ij for all three forms, so only the pairs i < j are
//   visited: f counts twice, g_ij goes to class i and -g_ij to class j.
// * The j loop runs over blocks of 16 classes (one AVX-512 register) that g++ vectorises; the block holding
//   j = i + 1 and a partial last block are masked, the others are not. Rows are copied into padded scratch.
// * 'tanh' and 'sign': tanh(k (x_i - x_j)) = (u_i - u_j) / (u_i + u_j) with u = exp(2 k (x - c)) computed once
//   per class (in double, rounded to float), c the middle of the row's range, and
//   sech^2(k (x_i - x_j)) = 4 u_i u_j / (u_i + u_j)^2: one division per pair instead of two tanh. Exact up to
//   the float rounding of u (absolute error ~1e-7 per term). Used when |k| * (max - min) <= kMaxExpRange for
//   the row, of both t and s for 'tanh', of s for 'sign' (u within e^-40..e^40: no overflow or underflow in
//   the products below); other rows (a wide range, inf) take the per-pair path.
// * Per-pair path ('product' always, wide rows of the other forms): a branch-free float tanh that g++
//   vectorises, tanh|y| = -expm1(-2|y|) / (2 + expm1(-2|y|)) with expm1 and exp from one polynomial; it
//   returns sech^2 too, as 4E / (1 + E)^2 with E = exp(-2|y|) (no 1 - tanh^2 cancellation). Relative error of
//   tanh and sech^2 about 3e-7 (checked against float64 over the float range).
// * Sums: float partial sums per lane, flushed into double: of f after at most ~256 terms, of g_ij for class i
//   after one row of i (<= C / 16 terms, then a shuffle tree), of -g_ij for class j after 16 rows of i.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include "fast_math.h"

#include <algorithm>
#if __has_include(<bit>)
#include <bit>
#endif
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

namespace mmkd_ops {
namespace {

constexpr int kW = 16;               // block width in floats: one zmm register
constexpr int kFlushEvery = 16;      // rows of i between flushes of the float gradient accumulators
constexpr double kMaxExpRange = 40;  // fast tanh/sign path when k * (max - min) <= this (u in e^-40..e^40)

enum Kind { kTanhExp = 0, kSignExp = 1, kTanhPair = 2, kSignPair = 3, kProduct = 4 };

// tanh(y) and sech^2(y) = 1 - tanh^2(y) for any float y (inf included), branch-free: with E = exp(-2|y|),
// tanh|y| = -expm1(-2|y|) / (2 + expm1(-2|y|)) and sech^2 y = 4E / (1 + E)^2 (no 1 - tanh^2 cancellation).
// Relative error of both about 3e-7.
inline void tanh_sech2(float y, float& th, float& s2) {
  const float x = -2.0f * std::fabs(y);
  float em, e;
  expm1_exp_nonpositive(std::max(x, -87.0f), em, e);
  const float inv = 1.0f / (2.0f + em);
  const float th_abs = -em * inv;
  th = y < 0.0f ? -th_abs : th_abs;
  const float sech2 = 4.0f * e * inv * inv;
  s2 = x < -87.0f ? 0.0f : sech2;  // E < 1.6e-38: tanh = +-1 and sech^2 = 0 in float
}

struct RowScratch {
  std::vector<float> a, b, acc;  // per-class inputs (u / t, v / s), padded to a multiple of kW; float gradient
  std::vector<double> acc_d;     // double gradient accumulators
  explicit RowScratch(int cpad) : a(cpad), b(cpad), acc(cpad), acc_d(cpad) {}
};

// One block of 16 pairs (i, jb..jb+15): f and g of each pair (g without the factor k, and / 4 for the exp
// kinds: see gfac in rkkd_rows), f into fs, g into gs (class i) and -g into acc[j] (class j). MASK: drop the
// pairs with j <= i or j >= C.
template <int KIND, bool GRAD, bool MASK>
inline void pair_block(const float* __restrict a, const float* __restrict b, float* __restrict acc,
                       float* __restrict fs, float* __restrict gs, float ai, float bi, float k, int i, int c,
                       int jb) {
#pragma omp simd
  for (int l = 0; l < kW; ++l) {
    const int j = jb + l;
    const float aj = a[j], bj = b[j];
    float f, g;
    if constexpr (KIND == kTanhExp) {  // a = u = exp(2k(t - ct)), b = v = exp(2k(s - cs))
      const float pp = ai + aj, qq = bi + bj;
      const float inv = 1.0f / (pp * qq);
      const float rp = qq * inv, rq = pp * inv;  // 1 / (u_i + u_j), 1 / (v_i + v_j)
      const float tt = (ai - aj) * rp;           // tanh(k Dt)
      f = tt * ((bi - bj) * rq);                 // * tanh(k Ds)
      g = tt * ((bi * rq) * (bj * rq));          // tanh(k Dt) sech^2(k Ds) / 4
    } else if constexpr (KIND == kSignExp) {     // a = t, b = v
      const float sg = static_cast<float>(ai > aj) - static_cast<float>(ai < aj);
      const float rq = 1.0f / (bi + bj);
      f = sg * ((bi - bj) * rq);
      g = sg * ((bi * rq) * (bj * rq));
    } else if constexpr (KIND == kProduct) {  // a = t, b = s
      const float dt = ai - aj;
      float th, s2;
      tanh_sech2((dt * (bi - bj)) * k, th, s2);
      f = th;
      g = dt * s2;
    } else {  // kTanhPair, kSignPair: a = t, b = s
      float tt;
      if constexpr (KIND == kSignPair) {
        tt = static_cast<float>(ai > aj) - static_cast<float>(ai < aj);
      } else {
        float unused;
        tanh_sech2((ai - aj) * k, tt, unused);
      }
      float th, s2;
      tanh_sech2((bi - bj) * k, th, s2);
      f = tt * th;
      g = tt * s2;
    }
    if constexpr (MASK) {
      const bool keep = (j > i) & (j < c);
      f = keep ? f : 0.0f;
      g = keep ? g : 0.0f;
    }
    fs[l] += f;
    if constexpr (GRAD) {
      gs[l] += g;
      acc[j] -= g;
    }
  }
}

// Sum of the kW = 16 lanes of v: a tree of halvings in GCC vector extensions (4 shuffles and 4 adds; the
// auto-vectoriser would add the lanes one by one, in order). Plain loop on compilers without
// __builtin_shufflevector (g++ < 12).
__attribute__((always_inline)) inline float lane_sum(const float* __restrict v) {
  static_assert(kW == 16, "lane_sum is written for 16 lanes");
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
  typedef float v16f __attribute__((vector_size(64)));
  typedef float v8f __attribute__((vector_size(32)));
  typedef float v4f __attribute__((vector_size(16)));
  v16f x;
  std::memcpy(&x, v, sizeof(x));
  const v8f h8 = __builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7) +
                 __builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15);
  const v4f h4 = __builtin_shufflevector(h8, h8, 0, 1, 2, 3) + __builtin_shufflevector(h8, h8, 4, 5, 6, 7);
  const v4f h2 = h4 + __builtin_shufflevector(h4, h4, 2, 3, 0, 1);
  return h2[0] + h2[1];
#else
  float sum = 0.0f;
  for (int l = 0; l < kW; ++l) sum += v[l];
  return sum;
#endif
}

// sum_{i<j} f of one row (returned, in double) and, with GRAD, sum_j g_ij up to constant factors into acc_d.
// Float partial sums: f per lane over the blocks of up to ~4096 / C rows of i (at most ~256 terms per lane),
// g of class i per lane over one row, g of class j over kFlushEvery rows; then double.
template <int KIND, bool GRAD>
double row_pairs(RowScratch& w, int c, float k) {
  const float* a = w.a.data();
  const float* b = w.b.data();
  float* acc = w.acc.data();
  double* acc_d = w.acc_d.data();
  const int cpad = static_cast<int>(w.a.size());
  const int flush_f = std::max(1, 4096 / cpad);
  if constexpr (GRAD) {
    std::fill(w.acc.begin(), w.acc.end(), 0.0f);
    std::fill(w.acc_d.begin(), w.acc_d.end(), 0.0);
  }
  double total = 0.0;
  alignas(64) float fs[kW] = {};
  int rows_f = 0, rows_g = 0;
  for (int i = 0; i < c - 1; ++i) {
    alignas(64) float gs[kW] = {};
    const float ai = a[i], bi = b[i];
    const int jb0 = (i + 1) / kW * kW;
    pair_block<KIND, GRAD, true>(a, b, acc, fs, gs, ai, bi, k, i, c, jb0);
    int jb = jb0 + kW;
    for (; jb + kW <= c; jb += kW) {
      pair_block<KIND, GRAD, false>(a, b, acc, fs, gs, ai, bi, k, i, c, jb);
    }
    if (jb < c) {
      pair_block<KIND, GRAD, true>(a, b, acc, fs, gs, ai, bi, k, i, c, jb);
    }
    if (++rows_f == flush_f) {
      rows_f = 0;
      total += lane_sum(fs);
      std::fill(fs, fs + kW, 0.0f);
    }
    if constexpr (GRAD) {
      acc_d[i] += lane_sum(gs);
      if (++rows_g == kFlushEvery) {
        rows_g = 0;
#pragma omp simd
        for (int j = 0; j < cpad; ++j) {
          acc_d[j] += acc[j];
          acc[j] = 0.0f;
        }
      }
    }
  }
  total += lane_sum(fs);
  if constexpr (GRAD) {
#pragma omp simd
    for (int j = 0; j < cpad; ++j) acc_d[j] += acc[j];
  }
  return total;
}

// u_j = exp(2k (x_j - center)) in dst[0..c), padding 1. Returns false (dst untouched) if k * range > limit
// or the row is not finite.
bool exp_table(const float* __restrict x, float* __restrict dst, int c, double k) {
  alignas(64) float mnv[kW], mxv[kW];  // lane-wise min / max (selects vectorise, a min reduction would not)
  std::fill(mnv, mnv + kW, x[0]);
  std::fill(mxv, mxv + kW, x[0]);
  int j0 = 0;
  for (; j0 + kW <= c; j0 += kW) {
#pragma omp simd
    for (int l = 0; l < kW; ++l) {
      const float v = x[j0 + l];
      mnv[l] = v < mnv[l] ? v : mnv[l];
      mxv[l] = v > mxv[l] ? v : mxv[l];
    }
  }
  for (int l = 0; j0 + l < c; ++l) {
    const float v = x[j0 + l];
    mnv[l] = v < mnv[l] ? v : mnv[l];
    mxv[l] = v > mxv[l] ? v : mxv[l];
  }
  float mn = mnv[0], mx = mxv[0];
  for (int l = 0; l < kW; ++l) {
    mn = std::min(mn, mnv[l]);
    mx = std::max(mx, mxv[l]);
  }
  const double range = static_cast<double>(mx) - static_cast<double>(mn);
  if (!(std::fabs(k) * range <= kMaxExpRange)) return false;  // also catches inf and NaN
  const double center = 0.5 * (static_cast<double>(mx) + static_cast<double>(mn));
  const double k2 = 2.0 * k;
#pragma omp simd
  for (int j = 0; j < c; ++j) dst[j] = static_cast<float>(exp_double(k2 * (static_cast<double>(x[j]) - center)));
  return true;
}

template <bool GRAD>
void rkkd_rows(const float* s, const float* t, float* tau, float* grad, int64_t n, int c, int form, double k) {
  const int cpad = (c + kW - 1) / kW * kW;
  const double scale = 1.0 / (static_cast<double>(c) * (c - 1));
  const float kf = static_cast<float>(k);
  const int64_t grain = std::max<int64_t>(1, 32768 / (static_cast<int64_t>(c) * c));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    RowScratch w(cpad);
    for (int64_t row = begin; row < end; ++row) {
      const float* sr = s + row * c;
      const float* tr = t + row * c;
      double total;
      double gfac;  // grad = 2 scale * k * gfac * acc_d
      bool fast = false;
      if (form != 2) {  // 'tanh' (0) or 'sign' (1): try u = exp(2 k x)
        std::fill(w.a.begin(), w.a.end(), 1.0f);
        std::fill(w.b.begin(), w.b.end(), 1.0f);
        fast = exp_table(sr, w.b.data(), c, k) && (form == 1 || exp_table(tr, w.a.data(), c, k));
      }
      if (fast) {
        if (form == 1) std::copy(tr, tr + c, w.a.begin());
        total = form == 0 ? row_pairs<kTanhExp, GRAD>(w, c, kf) : row_pairs<kSignExp, GRAD>(w, c, kf);
        gfac = 4.0;
      } else {
        std::fill(w.a.begin(), w.a.end(), 0.0f);
        std::fill(w.b.begin(), w.b.end(), 0.0f);
        std::copy(tr, tr + c, w.a.begin());
        std::copy(sr, sr + c, w.b.begin());
        total = form == 0   ? row_pairs<kTanhPair, GRAD>(w, c, kf)
                : form == 1 ? row_pairs<kSignPair, GRAD>(w, c, kf)
                            : row_pairs<kProduct, GRAD>(w, c, kf);
        gfac = 1.0;
      }
      tau[row] = static_cast<float>(2.0 * scale * total);  // the full C x C sum is twice the i < j sum
      if constexpr (GRAD) {
        const double m = 2.0 * scale * k * gfac;
        float* gr = grad + row * c;
        const double* acc_d = w.acc_d.data();
#pragma omp simd
        for (int j = 0; j < c; ++j) gr[j] = static_cast<float>(m * acc_d[j]);
      }
    }
  });
}

int form_code(c10::string_view form) {
  if (form == "tanh") return 0;
  if (form == "sign") return 1;
  if (form == "product") return 2;
  TORCH_CHECK(false, "rkkd_forward: form must be 'tanh', 'product' or 'sign', got '", std::string(form), "'");
  return -1;
}

}  // namespace

// tau [N] and (with_grad) grad [N, C] = d tau_n / d preds_S[n] (else an empty tensor); see the file comment.
std::tuple<at::Tensor, at::Tensor> rkkd_forward(const at::Tensor& preds_S, const at::Tensor& preds_T,
                                                c10::string_view form, double k, bool with_grad) {
  TORCH_CHECK(preds_S.dim() == 2 && preds_S.sizes() == preds_T.sizes(),
              "rkkd_forward: preds_S and preds_T must be [N, C] of the same shape");
  TORCH_CHECK(preds_S.scalar_type() == at::kFloat && preds_T.scalar_type() == at::kFloat,
              "rkkd_forward: float32 inputs only");
  TORCH_CHECK(preds_S.device().is_cpu() && preds_T.device().is_cpu(), "rkkd_forward: CPU tensors only");
  TORCH_CHECK(preds_S.is_contiguous() && preds_T.is_contiguous(), "rkkd_forward: contiguous inputs only");
  const int code = form_code(form);
  const int64_t n = preds_S.size(0);
  const int64_t c64 = preds_S.size(1);
  TORCH_CHECK(c64 >= 2 && c64 <= (int64_t{1} << 24), "rkkd_forward: need 2 <= C <= 2^24, got C = ", c64);
  const int c = static_cast<int>(c64);
  at::Tensor tau = at::empty({n}, preds_S.options());
  at::Tensor grad = with_grad ? at::empty({n, c64}, preds_S.options()) : at::empty({0}, preds_S.options());
  if (n == 0) return {tau, grad};
  const float* s = preds_S.data_ptr<float>();
  const float* t = preds_T.data_ptr<float>();
  if (with_grad) {
    rkkd_rows<true>(s, t, tau.data_ptr<float>(), grad.data_ptr<float>(), n, c, code, k);
  } else {
    rkkd_rows<false>(s, t, tau.data_ptr<float>(), nullptr, n, c, code, k);
  }
  return {tau, grad};
}

}  // namespace mmkd_ops

TORCH_LIBRARY_FRAGMENT(mmkd_cpu, m) {
  m.def("rkkd_forward(Tensor preds_S, Tensor preds_T, str form, float k, bool with_grad) -> (Tensor, Tensor)",
        &mmkd_ops::rkkd_forward);
}
