// The thread pool: the worker threads of the process, created once by set_threads() and shared by
// every model.
//
// parallel_for(tasks, fn) runs fn(task, worker) for every task on up to threads() threads: worker 0
// is the calling thread, the others are pool threads, and each free thread takes the next task in
// order. Which thread runs which task changes from run to run; callers make the result independent
// of it (fixed tasks, per-task outputs, a reduction in task order: train/model.cpp), so the thread
// count never changes a result, only how long it takes.
//
// One caller uses the pool at a time. A second caller that finds it busy (two models trained on two
// threads of the program) runs its tasks on its own thread as worker 0, which gives the same
// result. In a build without threads (the single-thread wasm) threads() is 1 and set_threads(n > 1)
// fails with an Error that says so.
#pragma once

#include <cstddef>
#include <functional>

namespace wasmcnn {

constexpr int kMaxThreads = 16;

// Whether this build can run threads (native, or wasm built with -pthread).
bool threads_build();
// Makes the pool n threads (the caller plus n - 1 pool threads). Waits for a running parallel_for.
void set_threads(int n);
int threads();
// Pool threads that have started running. In a browser a new thread starts once its worker has
// loaded, after set_threads() returned; JavaScript waits for this to reach threads() - 1.
int threads_started();
// Runs fn(task, worker) for task in [0, tasks), worker in [0, min(threads(), max_workers)): with
// one task, one thread or a busy pool all on the caller (worker 0). The first exception thrown by
// any task is rethrown here after every thread has stopped; tasks not yet started are skipped.
void parallel_for(size_t tasks, const std::function<void(size_t task, int worker)>& fn, int max_workers = kMaxThreads);

}  // namespace wasmcnn
