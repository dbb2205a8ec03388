// Copyright (c) mmkd contributors. All rights reserved.
//
// Stable argsort of each row of a float32 [N, C] tensor, int64 result, the CPU kernel behind PLD's
// teacher_optimal_permutation: the same result as ``keys.argsort(dim=1, descending=..., stable=True)``.
// Keys compare as floats: -0.0 == 0.0 is a tie (class order kept), +-inf are ordinary keys; NaN is not
// supported (mmkd never passes one; a NaN row gets some permutation).
//
// Two algorithms, chosen by C (rows run in parallel with at::parallel_for):
// * C <= kCountingMaxC: rank by counting, O(C^2) compares that g++ vectorises 16 classes i at a time:
//   rank_i = #{j : y_j > y_i} + #{j < i : y_j == y_i} (y = key, or -key for ascending), out[rank_i] = i.
// * larger C: LSD radix sort of the keys mapped to order-preserving uint32 (complemented for descending, so
//   that equal keys stay in class order), the class index as payload; 8-bit digits (4 passes) up to
//   kRadix11MinC, 11-bit digits (3 passes) above. A pass whose digit is the same for the whole row is skipped.
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>
#include <c10/util/Exception.h>
#include <torch/library.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

namespace mmkd_ops {
namespace {

constexpr int kW = 16;
constexpr int64_t kCountingMaxC = 160;
constexpr int64_t kRadix11MinC = 16384;

// rank_i += [y_j > y_i] + [j < i][y_j == y_i] for the j of block JB (all i at once). Only the block of i that
// holds j needs both compares: below it (i < j) the test is y_j > y_i, above it y_j >= y_i. The trip counts
// of the i loops are constants, so that g++ keeps the ranks of the row in vector registers over the j loop.
template <int NB, int JB>
inline void count_block(const float* __restrict y, int32_t* __restrict rank, int c) {
  constexpr int kLo = JB * kW, kHi = kLo + kW;
  const int jend = std::min(c, kHi);
  for (int j = kLo; j < jend; ++j) {
    const float yj = y[j];
#pragma omp simd
    for (int i = 0; i < kLo; ++i) rank[i] += static_cast<int32_t>(yj > y[i]);
#pragma omp simd
    for (int i = kLo; i < kHi; ++i) rank[i] += static_cast<int32_t>((yj > y[i]) | ((yj == y[i]) & (j < i)));
#pragma omp simd
    for (int i = kHi; i < NB * kW; ++i) rank[i] += static_cast<int32_t>(yj >= y[i]);
  }
}

template <int NB, int... JB>
inline void count_all(const float* y, int32_t* rank, int c, std::integer_sequence<int, JB...>) {
  (count_block<NB, JB>(y, rank, c), ...);
}

// C <= NB * kW classes: rank_i = #{j : y_j > y_i} + #{j < i : y_j == y_i} (y = key, or -key for ascending),
// out[rank_i] = i.
template <int NB>
void argsort_counting(const float* keys, int64_t* out, int64_t n, int c, bool descending) {
  constexpr int kPad = NB * kW;
  const int64_t grain = std::max<int64_t>(1, 16384 / (static_cast<int64_t>(c) * c));
  at::parallel_for(0, n, grain, [&](int64_t begin, int64_t end) {
    alignas(64) float y[kPad] = {};  // the padding is never a j and its ranks are never read
    alignas(64) int32_t rank[kPad];
    for (int64_t row = begin; row < end; ++row) {
      const float* x = keys + row * c;
      int64_t* o = out + row * c;
      if (descending) {
        std::copy(x, x + c, y);
      } else {
#pragma omp simd
        for (int i = 0; i < c; ++i) y[i] = -x[i];  // ties stay ties
      }
      std::fill(rank, rank + kPad, 0);
      count_all<NB>(y, rank, c, std::make_integer_sequence<int, NB>{});
      for (int i = 0; i < c; ++i) o[rank[i]] = i;
    }
  });
}

void argsort_counting_dispatch(const float* keys, int64_t* out, int64_t n, int c, bool descending) {
  switch ((c + kW - 1) / kW) {
    case 1: return argsort_counting<1>(keys, out, n, c, descending);
    case 2: return argsort_counting<2>(keys, out, n, c, descending);
    case 3: return argsort_counting<3>(keys, out, n, c, descending);
    case 4: return argsort_counting<4>(keys, out, n, c, descending);
    case 5: return argsort_counting<5>(keys, out, n, c, descending);
    case 6: return argsort_counting<6>(keys, out, n, c, descending);
    case 7: return argsort_counting<7>(keys, out, n, c, descending);
    case 8: return argsort_counting<8>(keys, out, n, c, descending);
    case 9: return argsort_counting<9>(keys, out, n, c, descending);
    default: return argsort_counting<10>(keys, out, n, c, descending);
  }
}

// Order-preserving map of a float to uint32 (ascending), -0.0 as +0.0; complemented for descending.
inline uint32_t sort_key(float x, bool descending) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  u = u == 0x80000000u ? 0u : u;
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
  return descending ? ~u : u;
}

template <int BITS>
void argsort_radix(const float* keys, int64_t* out, int64_t n, int c, bool descending) {
  constexpr int kBins = 1 << BITS;
  constexpr int kPasses = (32 + BITS - 1) / BITS;
  constexpr uint32_t kMask = kBins - 1;
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<uint32_t> key_a(c), key_b(c);
    std::vector<int32_t> idx_a(c), idx_b(c);
    std::vector<uint32_t> hist(static_cast<size_t>(kPasses) * kBins);
    for (int64_t row = begin; row < end; ++row) {
      const float* x = keys + row * c;
      int64_t* o = out + row * c;
      std::fill(hist.begin(), hist.end(), 0u);
      for (int j = 0; j < c; ++j) {
        const uint32_t u = sort_key(x[j], descending);
        key_a[j] = u;
        idx_a[j] = j;
        for (int p = 0; p < kPasses; ++p) ++hist[p * kBins + ((u >> (p * BITS)) & kMask)];
      }
      uint32_t* ks = key_a.data();
      uint32_t* kd = key_b.data();
      int32_t* is = idx_a.data();
      int32_t* id = idx_b.data();
      for (int p = 0; p < kPasses; ++p) {
        uint32_t* h = hist.data() + p * kBins;
        const int shift = p * BITS;
        if (h[(ks[0] >> shift) & kMask] == static_cast<uint32_t>(c)) continue;  // one digit: order unchanged
        uint32_t sum = 0;
        for (int b = 0; b < kBins; ++b) {
          const uint32_t cnt = h[b];
          h[b] = sum;
          sum += cnt;
        }
        for (int j = 0; j < c; ++j) {
          const uint32_t u = ks[j];
          const uint32_t pos = h[(u >> shift) & kMask]++;
          kd[pos] = u;
          id[pos] = is[j];
        }
        std::swap(ks, kd);
        std::swap(is, id);
      }
      for (int j = 0; j < c; ++j) o[j] = is[j];
    }
  });
}

}  // namespace

// int64 [N, C]: the stable argsort of each row of keys (float32, contiguous, CPU).
at::Tensor argsort_rows(const at::Tensor& keys, bool descending) {
  TORCH_CHECK(keys.dim() == 2, "argsort_rows: keys must be [N, C]");
  TORCH_CHECK(keys.scalar_type() == at::kFloat, "argsort_rows: float32 keys only");
  TORCH_CHECK(keys.device().is_cpu() && keys.is_contiguous(), "argsort_rows: contiguous CPU keys only");
  const int64_t n = keys.size(0);
  const int64_t c = keys.size(1);
  TORCH_CHECK(c < (int64_t{1} << 31), "argsort_rows: C must be < 2^31");
  at::Tensor out = at::empty({n, c}, keys.options().dtype(at::kLong));
  if (n == 0 || c == 0) return out;
  const float* k = keys.data_ptr<float>();
  int64_t* o = out.data_ptr<int64_t>();
  const int ci = static_cast<int>(c);
  if (c <= kCountingMaxC) {
    argsort_counting_dispatch(k, o, n, ci, descending);
  } else if (c < kRadix11MinC) {
    argsort_radix<8>(k, o, n, ci, descending);
  } else {
    argsort_radix<11>(k, o, n, ci, descending);
  }
  return out;
}

}  // namespace mmkd_ops

TORCH_LIBRARY_FRAGMENT(mmkd_cpu, m) {
  m.def("argsort_rows(Tensor keys, bool descending=True) -> Tensor", &mmkd_ops::argsort_rows);
}
