// Copyright (c) mmkd contributors. All rights reserved.
//
// Branch-free float / double math that g++ vectorises, shared by the CPU kernels (rkkd.cpp, pld.cpp).
#pragma once

#if __has_include(<bit>)
#include <bit>
#endif
#include <cmath>
#include <cstdint>
#include <cstring>

namespace mmkd_ops {

// std::bit_cast where the library has it (g++ >= 11), else memcpy; both vectorise.
template <class To, class From>
inline To bit_cast(const From& from) {
#if defined(__cpp_lib_bit_cast)
  return std::bit_cast<To>(from);
#else
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
#endif
}

// expm1(x) and exp(x) for x in [-87, 0] in float from one polynomial: x = n ln2 + r (round to nearest with the
// 1.5 * 2^23 trick, |r| <= ln2 / 2), q = expm1(r) by its Taylor series to r^8 (truncation < 2e-8 relative),
// exp(x) = 2^n (1 + q), expm1(x) = 2^n q + (2^n - 1). About 1-2 ulp, no cancellation near 0. No int
// conversion and no branch, so that the loops vectorise.
inline void expm1_exp_nonpositive(float x, float& em, float& e) {
  constexpr float kShift = 12582912.0f;
  const float t = x * 1.44269504088896341f + kShift;
  const float nf = t - kShift;
  const int n = bit_cast<int>(t) - bit_cast<int>(kShift);
  float r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  float p = 1.0f / 40320.0f;
  p = p * r + 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  const float q = (r * r) * p + r;
  const float sc = bit_cast<float>((n + 127) << 23);  // 2^n, n >= -126 for x >= -87
  e = sc * q + sc;
  em = sc * q + (sc - 1.0f);
}

// exp(x) in double for |x| <= ~700 (used for |x| <= 40): round-to-nearest reduction with the 1.5 * 2^52
// trick, Taylor polynomial to r^11 on |r| <= ln2 / 2 (error < 1e-14), 2^n from the exponent bits.
inline double exp_double(double x) {
  constexpr double kShift = 6755399441055744.0;  // 1.5 * 2^52
  const double t = x * 1.4426950408889634 + kShift;
  const double nd = t - kShift;
  const int64_t n = bit_cast<int64_t>(t) - bit_cast<int64_t>(kShift);
  double r = x - nd * 6.93147180369123816490e-01;
  r = r - nd * 1.90821492927058770002e-10;
  double p = 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * bit_cast<double>((n + 1023) << 52);
}

// log(x) for normal positive float x, branch-free: x = 2^e m with m in [sqrt(1/2), sqrt(2)), then
// log(m) = 2 atanh(z) with z = (m - 1) / (m + 1), |z| <= 0.1716, by its odd series to z^11 (truncation < 3e-10
// relative), plus e ln2 in two parts. About 1-2 ulp.
inline float log_positive(float x) {
  int bits = bit_cast<int>(x);
  int e = ((bits >> 23) & 0xff) - 127;
  float m = bit_cast<float>((bits & 0x007fffff) | 0x3f800000);  // [1, 2)
  const bool big = m > 1.41421356f;
  m = big ? 0.5f * m : m;
  e = big ? e + 1 : e;
  const float z = (m - 1.0f) / (m + 1.0f);
  const float z2 = z * z;
  float p = 1.0f / 11.0f;
  p = p * z2 + 1.0f / 9.0f;
  p = p * z2 + 1.0f / 7.0f;
  p = p * z2 + 1.0f / 5.0f;
  p = p * z2 + 1.0f / 3.0f;
  p = p * z2 + 1.0f;
  const float ef = static_cast<float>(e);
  return (2.0f * z) * p + ef * 0.693359375f + ef * -2.12194440e-4f;
}

}  // namespace mmkd_ops
