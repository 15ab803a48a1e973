// GradientReducer on a one-rank Gloo group (in process; the two-process runs are in trainer_test.cpp):
// buckets in reverse registration order, sent from the accumulator hooks while backward runs, only in
// the step's last micro-batch, in one fixed order (a bucket with a parameter that got no gradient
// holds back those after it until finish_step, which sends it with zeros), frozen weights left out,
// and the gradients left as autograd computed them (one rank: the sum is the rank's own).
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "../test_fs.h"
#include "train/distributed.h"

namespace fs = oncolm::test_fs;
using namespace oncolm::train;

namespace {

constexpr std::int64_t width = 16;  // a weight: 16 x 16 floats = 1,024 bytes; a bias: 64 bytes

// A stack of tanh layers (weight, bias per layer, registered first layer first) and, after layer
// `unused_after` (-1: none), an extra weight the loss never touches.
struct Stack {
  std::vector<at::Tensor> parameters;
  std::vector<std::size_t> layers;  // index of each layer's weight in `parameters`
  std::size_t unused = 0;

  Stack(int depth, int unused_after) {
    at::manual_seed(7);
    for (int l = 0; l < depth; ++l) {
      layers.push_back(parameters.size());
      parameters.push_back((at::randn({width, width}) * 0.3).requires_grad_(true));
      parameters.push_back((at::randn({width}) * 0.1).requires_grad_(true));
      if (l == unused_after) {
        unused = parameters.size();
        parameters.push_back(at::randn({width, width}).requires_grad_(true));
      }
    }
  }
  at::Tensor loss(const at::Tensor& x) const {
    at::Tensor h = x;
    for (std::size_t w : layers) h = at::tanh(at::linear(h, parameters[w], parameters[w + 1]));
    return h.pow(2).sum();
  }
  void zero_grad() {
    for (auto& p : parameters) p.mutable_grad() = at::Tensor();
  }
};

// Gradients of the loss summed over `inputs`, computed by autograd alone.
std::vector<at::Tensor> reference_gradients(const Stack& stack, const std::vector<at::Tensor>& inputs) {
  std::vector<at::Tensor> leaves;
  for (const auto& p : stack.parameters) leaves.push_back(p.detach().clone().requires_grad_(true));
  Stack copy = stack;
  copy.parameters = leaves;
  for (const auto& x : inputs) copy.loss(x).backward();
  std::vector<at::Tensor> grads;
  for (const auto& p : leaves) grads.push_back(p.grad().defined() ? p.grad() : at::zeros_like(p));
  return grads;
}

// Every buffer one reducer uses: a one-rank process group with its own rendezvous file.
struct OneRank {
  fs::path dir;
  std::unique_ptr<Communicator> comm;
  explicit OneRank(const std::string& name) : dir(fs::fresh_dir(name)) {
    DistributedOptions options;
    options.rendezvous = "file:" + (dir / "store").string();
    options.timeout_seconds = 30;
    comm = std::make_unique<Communicator>(options);
  }
  ~OneRank() {
    comm.reset();
    fs::remove_all(dir);
  }
};

// A bucket holds one weight and one bias: 1,088 of its 1,100 bytes.
BucketOptions one_layer_buckets() {
  BucketOptions options;
  options.first_bucket_bytes = options.bucket_bytes = 1100;
  return options;
}

void expect_gradients(const Stack& stack, const std::vector<at::Tensor>& expected) {
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(stack.parameters[i].grad().defined()) << "parameter " << i;
    EXPECT_TRUE(at::allclose(stack.parameters[i].grad(), expected[i], 1e-6, 1e-7)) << "parameter " << i;
  }
}

TEST(GradientReducer, SendsEveryBucketBeforeBackwardReturns) {
  OneRank rank("oncolm_reducer_overlap");
  Stack stack(4, -1);
  const at::Tensor x = at::randn({3, width});
  const auto expected = reference_gradients(stack, {x});
  {
    GradientReducer reducer(*rank.comm, stack.parameters, one_layer_buckets());
    EXPECT_EQ(reducer.stats().buckets, 4u);
    EXPECT_EQ(reducer.stats().bytes_per_step, 4 * (width * width + width) * 4);
    for (int step = 0; step < 2; ++step) {  // the hooks outlive the first step's graph
      stack.zero_grad();
      reducer.prepare_backward(true);
      stack.loss(x).backward();
      reducer.finish_step();
      EXPECT_EQ(reducer.stats().launched_in_backward, 4u) << "step " << step;
      expect_gradients(stack, expected);
    }
    EXPECT_EQ(reducer.stats().steps, 2);
  }
  // The reducer's hooks went with it: backward no longer calls into it.
  stack.zero_grad();
  stack.loss(x).backward();
  expect_gradients(stack, expected);
}

TEST(GradientReducer, AccumulatingMicroBatchesSendNothingUntilTheLast) {
  OneRank rank("oncolm_reducer_accumulate");
  Stack stack(3, -1);
  const std::vector<at::Tensor> inputs = {at::randn({2, width}), at::randn({2, width}), at::randn({2, width})};
  const auto expected = reference_gradients(stack, inputs);
  GradientReducer reducer(*rank.comm, stack.parameters, one_layer_buckets());
  for (std::size_t micro = 0; micro < inputs.size(); ++micro) {
    // A bucket sent early would be sent again in the last micro-batch: the reducer refuses that.
    reducer.prepare_backward(micro + 1 == inputs.size());
    stack.loss(inputs[micro]).backward();
  }
  reducer.finish_step();
  EXPECT_EQ(reducer.stats().launched_in_backward, 3u);
  expect_gradients(stack, expected);
}

TEST(GradientReducer, AParameterWithoutGradientHoldsBackItsBucketAndIsSentAsZeros) {
  OneRank rank("oncolm_reducer_unused");
  // Registered: w0 b0 w1 b1 unused w2 b2 w3 b3. Buckets (reverse): [b3 w3] [b2 w2] [unused b1]
  // [w1 b0] [w0]: the third never fills during backward, so it and the two after it go at the end.
  Stack stack(4, 1);
  const at::Tensor x = at::randn({3, width});
  const auto expected = reference_gradients(stack, {x});
  GradientReducer reducer(*rank.comm, stack.parameters, one_layer_buckets());
  EXPECT_EQ(reducer.stats().buckets, 5u);
  reducer.prepare_backward(true);
  stack.loss(x).backward();
  reducer.finish_step();
  EXPECT_EQ(reducer.stats().launched_in_backward, 2u);
  expect_gradients(stack, expected);
  EXPECT_EQ(stack.parameters[stack.unused].grad().abs().max().item<float>(), 0.0f);
}

TEST(GradientReducer, FrozenWeightsAreLeftOut) {
  OneRank rank("oncolm_reducer_frozen");
  Stack stack(3, -1);
  stack.parameters[0].requires_grad_(false);  // the first layer's weight, as --freeze-below would
  const at::Tensor x = at::randn({3, width});
  GradientReducer reducer(*rank.comm, stack.parameters, one_layer_buckets());
  // [b2 w2] [b1 w1] [b0]
  EXPECT_EQ(reducer.stats().buckets, 3u);
  EXPECT_EQ(reducer.stats().bytes_per_step, (2 * (width * width + width) + width) * 4);
  reducer.prepare_backward(true);
  stack.loss(x).backward();
  reducer.finish_step();
  EXPECT_EQ(reducer.stats().launched_in_backward, 3u);
  EXPECT_FALSE(stack.parameters[0].grad().defined());
}

TEST(GradientReducer, WithoutOverlapEveryBucketGoesAfterBackward) {
  OneRank rank("oncolm_reducer_no_overlap");
  Stack stack(4, -1);
  const at::Tensor x = at::randn({3, width});
  const auto expected = reference_gradients(stack, {x});
  BucketOptions options = one_layer_buckets();
  options.overlap = false;
  GradientReducer reducer(*rank.comm, stack.parameters, options);
  reducer.prepare_backward(true);
  stack.loss(x).backward();
  reducer.finish_step();
  EXPECT_EQ(reducer.stats().launched_in_backward, 0u);
  expect_gradients(stack, expected);
}

}  // namespace

namespace {

// Two ranks in two threads of this process, meeting through one rendezvous file.
struct TwoRanks {
  fs::path dir;
  explicit TwoRanks(const std::string& name) : dir(fs::fresh_dir(name)) {}
  ~TwoRanks() { fs::remove_all(dir); }
  DistributedOptions options(int rank, int write_timeout) const {
    DistributedOptions o;
    o.rank = rank;
    o.world_size = 2;
    o.rendezvous = "file:" + (dir / "store").string();
    o.timeout_seconds = 1;  // collectives give up after 1 s
    o.write_timeout_seconds = write_timeout;
    return o;
  }
};

// Rank 0 writes a checkpoint alone; the others wait for it through the store, beyond the
// collectives' timeout (a large checkpoint on network storage), and the group still works after.
TEST(Communicator, OtherRanksWaitForRankZerosWritesBeyondTheCollectiveTimeout) {
  TwoRanks ranks("oncolm_comm_writes");
  double waited = 0, summed = 0;
  std::string error;
  std::thread rank1([&] {
    try {
      Communicator comm(ranks.options(1, 30));
      std::vector<double> one = {1.0};
      comm.all_reduce_sum(one);
      const auto start = std::chrono::steady_clock::now();
      comm.wait_for_primary_writes("checkpoint 2");
      waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::vector<double> two = {2.0};
      comm.all_reduce_sum(two);
      summed = two[0];
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  Communicator comm(ranks.options(0, 30));
  std::vector<double> one = {1.0};
  comm.all_reduce_sum(one);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the write: longer than the 1 s timeout
  comm.wait_for_primary_writes("checkpoint 2");
  std::vector<double> two = {2.0};
  comm.all_reduce_sum(two);
  rank1.join();
  EXPECT_EQ(error, "");
  EXPECT_GT(waited, 2.0);
  EXPECT_EQ(summed, 4.0);
  EXPECT_EQ(two[0], 4.0);
}

// A rank 0 that never posts its write: the others stop after the write timeout, naming it.
TEST(Communicator, AWriteThatNeverEndsStopsTheOthersNamingIt) {
  TwoRanks ranks("oncolm_comm_writes_stuck");
  std::string error;
  std::thread rank1([&] {
    try {
      Communicator comm(ranks.options(1, 1));
      std::vector<double> one = {1.0};
      comm.all_reduce_sum(one);
      comm.wait_for_primary_writes("final");
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  Communicator comm(ranks.options(0, 1));
  std::vector<double> one = {1.0};
  comm.all_reduce_sum(one);
  rank1.join();
  EXPECT_NE(error.find("rank 1: rank 0 did not finish writing final within 1 s"), std::string::npos) << error;
}

// A rendezvous port that is not a port: refused before any connection, naming where it came from.
TEST(Communicator, ARendezvousPortThatIsNotAPortIsNamed) {
  for (const std::string port : {"abc", "70000", "", "0", "12x"}) {
    DistributedOptions options;
    options.rendezvous = "tcp://localhost:" + port;
    try {
      Communicator comm(options);
      ADD_FAILURE() << "no error for port '" << port << "'";
    } catch (const std::exception& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("ONCOLM_RENDEZVOUS"), std::string::npos) << message;
      EXPECT_NE(message.find("port '" + port + "' is not a number in 1-65535"), std::string::npos) << message;
    }
  }
}

}  // namespace
