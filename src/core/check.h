// Errors at the boundary, assertions inside.
//
// Anything a caller can get wrong (shapes, option values, data) is checked where it enters and
// reported as wasmcnn::Error with a message that names the thing and the numbers. Invariants the
// library itself maintains are WASMCNN_ASSERTs: they abort in debug builds and cost nothing in
// release builds.
#pragma once

#include <cassert>
#include <sstream>
#include <stdexcept>
#include <string>

namespace wasmcnn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <class T, class... Rest>
void append(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  append(os, rest...);
}
}  // namespace detail

// fail("conv2d '", name, "': expected ", a, ", got ", b) throws Error with the pieces joined.
template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  std::ostringstream os;
  detail::append(os, args...);
  throw Error(os.str());
}

template <class... Args>
void check(bool ok, const Args&... args) {
  if (!ok) fail(args...);
}

}  // namespace wasmcnn

#define WASMCNN_ASSERT(cond) assert(cond)
