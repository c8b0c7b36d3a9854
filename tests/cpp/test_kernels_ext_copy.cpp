// Copy and merge kernels (copy_ops.h): padding and cropping undo each other and fill exactly;
// concat and split are inverse row interleavings; the merge twins are bit-identical on every tail
// (ties included), forward and backward match their definitions.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernel_check.h"
#include "kernels/copy_ops.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using kernels::MergeOp;

TEST_CASE("pad2d and crop2d: zeros in the margins, the image inside, each the other's inverse, in image ranges") {
  Rng rng(91);
  const kernels::Margins cases[] = {{7, 9, 3, 1, 2, 0, 3}, {5, 5, 1, 0, 0, 1, 1}, {4, 6, 13, 1, 1, 1, 1},
                                    {3, 3, 2, 3, 0, 0, 0}, {6, 4, 5, 0, 0, 0, 0}};
  for (const kernels::Margins& m : cases) {
    INFO("big ", m.h, "x", m.w, "x", m.c, " margins ", m.top, ",", m.bottom, ",", m.left, ",", m.right);
    const size_t n = 3, small = size_t(m.small_h()) * m.small_w() * m.c, big = size_t(m.h) * m.w * m.c;
    Buf x(rng, n * small), padded(n * big), back(n * small);
    kernels::pad2d(m, 0, 1, x.p(), padded.p());
    kernels::pad2d(m, 1, n, x.p(), padded.p());
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i)
      for (int y = 0; y < m.h; ++y)
        for (int xx = 0; xx < m.w; ++xx)
          for (int ch = 0; ch < m.c; ++ch) {
            const bool inside = y >= m.top && y < m.h - m.bottom && xx >= m.left && xx < m.w - m.right;
            const float want = inside ? x.v[i * small + ((size_t(y) - m.top) * m.small_w() + xx - m.left) * m.c + ch] : 0.f;
            bad += padded.v[i * big + (size_t(y) * m.w + xx) * m.c + ch] != want;
          }
    CHECK(bad == 0);
    CHECK(padded.guard_intact());
    kernels::crop2d(m, 0, n, padded.p(), back.p());
    check_same(x, back, "crop2d(pad2d(x))");
  }
}

TEST_CASE("concat_rows and split_rows: channel concatenation of NHWC tensors and its inverse") {
  Rng rng(92);
  for (size_t w0 : {size_t(1), size_t(3), size_t(8)})
    for (size_t k : {size_t(1), size_t(2), size_t(4)}) {
      const size_t rows = 2 * 5 * 3;  // n * h * w
      std::vector<size_t> widths;
      std::vector<Buf> xs;
      std::vector<const float*> xp;
      size_t total = 0;
      for (size_t j = 0; j < k; ++j) {
        widths.push_back(w0 + j * 3);
        total += widths.back();
        xs.emplace_back(rng, rows * widths.back());
      }
      for (auto& b : xs) xp.push_back(b.p());
      Buf y(rows * total);
      kernels::concat_rows(k, xp.data(), widths.data(), 0, 7, y.p());
      kernels::concat_rows(k, xp.data(), widths.data(), 7, rows, y.p());
      size_t bad = 0;
      for (size_t r = 0; r < rows; ++r)
        for (size_t j = 0, off = 0; j < k; off += widths[j], ++j)
          for (size_t q = 0; q < widths[j]; ++q) bad += y.v[r * total + off + q] != xs[j].v[r * widths[j] + q];
      CHECK(bad == 0);
      CHECK(y.guard_intact());
      std::vector<Buf> back;
      std::vector<float*> bp;
      for (size_t j = 0; j < k; ++j) back.emplace_back(rows * widths[j]);
      for (auto& b : back) bp.push_back(b.p());
      kernels::split_rows(k, y.p(), widths.data(), 0, rows, bp.data());
      for (size_t j = 0; j < k; ++j) check_same(xs[j], back[j], "split_rows(concat_rows(x))");
    }
}

namespace {

const char* merge_name(MergeOp op) {
  static const char* names[] = {"add", "subtract", "multiply", "average", "maximum", "minimum"};
  return names[int(op)];
}

}  // namespace

TEST_CASE("merge kernels: twins bit-identical with ties, forward and backward against their definitions") {
  Rng rng(93);
  const MergeOp ops[] = {MergeOp::Add, MergeOp::Subtract, MergeOp::Multiply, MergeOp::Average, MergeOp::Maximum,
                         MergeOp::Minimum};
  for (MergeOp op : ops)
    for (size_t k : {size_t(1), size_t(2), size_t(3), size_t(5)}) {
      if (op == MergeOp::Subtract && k != 2) continue;
      for (size_t n : kSizes) {
        INFO(std::string(merge_name(op)), " k=", k, " n=", n);
        std::vector<Buf> xs, d1, d2;
        std::vector<const float*> xp;
        std::vector<float*> p1, p2;
        for (size_t j = 0; j < k; ++j) {
          xs.emplace_back(rng, n);
          for (size_t i = 0; i < n; i += 2) xs[j].v[i] = float(int(xs[j].v[i] * 2));  // ties between inputs
          d1.emplace_back(n);
          d2.emplace_back(n);
        }
        for (size_t j = 0; j < k; ++j) xp.push_back(xs[j].p()), p1.push_back(d1[j].p()), p2.push_back(d2[j].p());
        Buf dy(rng, n), y1(n), y2(n);
        portable::merge_forward(op, k, xp.data(), 0, n, y1.p());
        twin::merge_forward(op, k, xp.data(), 0, n / 2, y2.p());
        twin::merge_forward(op, k, xp.data(), n / 2, n, y2.p());
        check_same(y1, y2, "merge_forward");
        portable::merge_backward(op, k, xp.data(), dy.p(), 0, n, p1.data());
        twin::merge_backward(op, k, xp.data(), dy.p(), 0, n, p2.data());
        for (size_t j = 0; j < k; ++j) check_same(d1[j], d2[j], "merge_backward");
        // The definitions, in float64: sums and products of k floats within gamma_n(k + 1) of their
        // magnitudes (the Average's multiply one more rounding); max / min and their routing exact.
        size_t bad = 0;
        for (size_t i = 0; i < n; ++i) {
          double sum = 0, mag = 0, prod = 1;
          size_t win = 0;
          for (size_t j = 0; j < k; ++j) {
            const double v = xs[j].v[i];
            sum += v, mag += std::fabs(v), prod *= v;
            if ((op == MergeOp::Maximum && v > xs[win].v[i]) || (op == MergeOp::Minimum && v < xs[win].v[i])) win = j;
          }
          const double tol_sum = gamma_n(double(k) + 1) * mag, tol_prod = gamma_n(double(k) + 1) * std::fabs(prod);
          switch (op) {
            case MergeOp::Add: bad += !(std::fabs(y2.v[i] - sum) <= tol_sum); break;
            case MergeOp::Subtract: bad += y2.v[i] != float(double(xs[0].v[i]) - xs[1].v[i]); break;
            case MergeOp::Average: bad += !(std::fabs(y2.v[i] - sum / k) <= tol_sum / k); break;
            case MergeOp::Multiply: bad += !(std::fabs(y2.v[i] - prod) <= tol_prod); break;
            case MergeOp::Maximum: case MergeOp::Minimum: bad += y2.v[i] != xs[win].v[i]; break;
          }
          for (size_t j = 0; j < k; ++j) {
            const float g = d2[j].v[i], d = dy.v[i];
            switch (op) {
              case MergeOp::Add: bad += g != d; break;
              case MergeOp::Subtract: bad += g != (j == 0 ? d : -d); break;
              case MergeOp::Average: bad += g != d * (1.f / float(k)); break;
              case MergeOp::Multiply: {
                double others = 1;
                for (size_t q = 0; q < k; ++q)
                  if (q != j) others *= xs[q].v[i];
                bad += !(std::fabs(g - d * others) <= gamma_n(double(k) + 1) * std::fabs(d * others));
                break;
              }
              case MergeOp::Maximum: case MergeOp::Minimum: bad += g != (j == win ? d : 0.f); break;
            }
          }
        }
        CHECK(bad == 0);
      }
    }
}
