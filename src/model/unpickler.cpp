#include "model/unpickler.h"

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "core/error.h"

namespace oncolm::model {
namespace {

// The few Python values a state dict is made of. Dicts and lists are shared (memoized objects are
// mutated after being stored, e.g. SETITEMS on a memoized OrderedDict).
struct Object;
using Ref = std::shared_ptr<Object>;
struct Object {
  enum class Kind { none, boolean, integer, floating, string, tuple, list, dict, global, storage, tensor };
  Kind kind = Kind::none;
  std::int64_t integer = 0;
  double floating = 0;
  std::string text;         // string value, or "module.name" of a global, or a storage key
  std::vector<Ref> items;   // tuple/list items; dict: key, value, key, value ...
  DType dtype = DType::f32; // storage
  PickledTensor tensor;
};

Ref make(Object::Kind kind) {
  auto object = std::make_shared<Object>();
  object->kind = kind;
  return object;
}

const std::map<std::string, DType>& storage_types() {
  static const std::map<std::string, DType> types = {
      {"torch.DoubleStorage", DType::f64}, {"torch.FloatStorage", DType::f32},
      {"torch.HalfStorage", DType::f16},   {"torch.BFloat16Storage", DType::bf16},
      {"torch.LongStorage", DType::i64},   {"torch.IntStorage", DType::i32},
      {"torch.ShortStorage", DType::i16},  {"torch.CharStorage", DType::i8},
      {"torch.ByteStorage", DType::u8},    {"torch.BoolStorage", DType::boolean}};
  return types;
}

bool allowed_global(const std::string& name) {
  return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
         name == "torch._utils._rebuild_parameter" || storage_types().count(name) > 0;
}

class Unpickler {
 public:
  Unpickler(const std::byte* data, std::size_t size, std::string source)
      : data_(reinterpret_cast<const unsigned char*>(data)), size_(size), source_(std::move(source)) {}
  Ref run();

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw input_error(source_, 0, "data.pkl at byte {}: {}", position_, message);
  }
  std::uint64_t read_le(int bytes);
  std::string read_bytes(std::size_t count);
  std::string read_line();
  Ref pop();
  Ref& top();
  std::vector<Ref> pop_to_mark();
  void step(unsigned char opcode);
  void push_global(const std::string& module, const std::string& name);
  Ref reduce(const Ref& callable, const Ref& args);
  Ref persistent_load(const Ref& id);
  Ref rebuild_tensor(const Ref& args);
  static std::vector<std::int64_t> int_tuple(const Ref& object, const char* what, const Unpickler& self);
  void set_items(Ref& dict, std::vector<Ref>& items);

  const unsigned char* data_;
  std::size_t size_;
  std::size_t position_ = 0;
  std::string source_;
  std::vector<Ref> stack_;
  std::vector<std::size_t> marks_;
  std::map<std::uint64_t, Ref> memo_;
  bool stopped_ = false;
};

std::uint64_t Unpickler::read_le(int bytes) {
  if (position_ + static_cast<std::size_t>(bytes) > size_) fail("truncated pickle");
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | data_[position_ + static_cast<std::size_t>(i)];
  position_ += static_cast<std::size_t>(bytes);
  return value;
}

std::string Unpickler::read_bytes(std::size_t count) {
  if (count > size_ - position_) fail("truncated pickle");
  std::string out(reinterpret_cast<const char*>(data_ + position_), count);
  position_ += count;
  return out;
}

std::string Unpickler::read_line() {
  const void* newline = std::memchr(data_ + position_, '\n', size_ - position_);
  if (newline == nullptr) fail("truncated pickle");
  std::size_t length = static_cast<const unsigned char*>(newline) - (data_ + position_);
  std::string line = read_bytes(length);
  ++position_;
  return line;
}

Ref Unpickler::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
  Ref value = std::move(stack_.back());
  stack_.pop_back();
  return value;
}

Ref& Unpickler::top() {
  if (stack_.empty()) fail("stack underflow");
  return stack_.back();
}

std::vector<Ref> Unpickler::pop_to_mark() {
  if (marks_.empty()) fail("MARK expected");
  std::size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<Ref> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

void Unpickler::push_global(const std::string& module, const std::string& name) {
  std::string full = module + "." + name;
  if (!allowed_global(full))
    fail("refers to '" + full + "', which a state dict of tensors does not need; refusing to "
         "unpickle it (accepted: collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
         "torch._utils._rebuild_parameter, torch.*Storage)");
  Ref global = make(Object::Kind::global);
  global->text = full;
  stack_.push_back(global);
}

std::vector<std::int64_t> Unpickler::int_tuple(const Ref& object, const char* what, const Unpickler& self) {
  if (object->kind != Object::Kind::tuple) self.fail(std::string(what) + " is not a tuple");
  std::vector<std::int64_t> values;
  for (const auto& item : object->items) {
    if (item->kind != Object::Kind::integer) self.fail(std::string(what) + " holds a non-integer");
    values.push_back(item->integer);
  }
  return values;
}

// _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
Ref Unpickler::rebuild_tensor(const Ref& args) {
  if (args->kind != Object::Kind::tuple || args->items.size() < 4)
    fail("_rebuild_tensor_v2 called with unexpected arguments");
  const Ref& storage = args->items[0];
  if (storage->kind != Object::Kind::storage) fail("_rebuild_tensor_v2 without a storage");
  if (args->items[1]->kind != Object::Kind::integer) fail("tensor storage offset is not an integer");
  Ref tensor = make(Object::Kind::tensor);
  tensor->tensor.storage_key = storage->text;
  tensor->tensor.dtype = storage->dtype;
  tensor->tensor.storage_offset = args->items[1]->integer;
  tensor->tensor.shape = int_tuple(args->items[2], "tensor size", *this);
  tensor->tensor.strides = int_tuple(args->items[3], "tensor stride", *this);
  if (tensor->tensor.shape.size() != tensor->tensor.strides.size()) fail("tensor size and stride differ in rank");
  return tensor;
}

Ref Unpickler::reduce(const Ref& callable, const Ref& args) {
  if (callable->kind != Object::Kind::global) fail("REDUCE on something that is not an accepted global");
  if (callable->text == "collections.OrderedDict") {
    if (args->kind != Object::Kind::tuple || !args->items.empty()) fail("OrderedDict built with arguments");
    return make(Object::Kind::dict);
  }
  if (callable->text == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
  if (callable->text == "torch._utils._rebuild_parameter") {
    if (args->kind != Object::Kind::tuple || args->items.empty() ||
        args->items[0]->kind != Object::Kind::tensor)
      fail("_rebuild_parameter without a tensor");
    return args->items[0];
  }
  fail("'" + callable->text + "' cannot be called");
}

// torch.save's persistent ids: ('storage', <torch.XStorage>, key, location, numel).
Ref Unpickler::persistent_load(const Ref& id) {
  if (id->kind != Object::Kind::tuple || id->items.size() < 3 ||
      id->items[0]->kind != Object::Kind::string || id->items[0]->text != "storage" ||
      id->items[1]->kind != Object::Kind::global || id->items[2]->kind != Object::Kind::string)
    fail("persistent id is not a torch storage reference");
  auto type = storage_types().find(id->items[1]->text);
  if (type == storage_types().end()) fail("persistent id names '" + id->items[1]->text + "', not a storage type");
  Ref storage = make(Object::Kind::storage);
  storage->dtype = type->second;
  storage->text = id->items[2]->text;
  return storage;
}

void Unpickler::set_items(Ref& dict, std::vector<Ref>& items) {
  if (dict->kind != Object::Kind::dict) fail("SETITEM(S) on something that is not a dict");
  if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
  for (auto& item : items) dict->items.push_back(std::move(item));
}

void Unpickler::step(unsigned char opcode) {
  using Kind = Object::Kind;
  switch (opcode) {
    case 0x80: read_le(1); break;                        // PROTO
    case 0x95: read_le(8); break;                        // FRAME
    case '(': marks_.push_back(stack_.size()); break;    // MARK
    case '}': stack_.push_back(make(Kind::dict)); break;
    case ']': stack_.push_back(make(Kind::list)); break;
    case ')': stack_.push_back(make(Kind::tuple)); break;
    case 'N': stack_.push_back(make(Kind::none)); break;
    case 0x88: case 0x89: {                              // NEWTRUE, NEWFALSE
      Ref value = make(Kind::boolean);
      value->integer = opcode == 0x88;
      stack_.push_back(value);
      break;
    }
    case 'J': case 'K': case 'M': {                      // BININT, BININT1, BININT2
      Ref value = make(Kind::integer);
      std::uint64_t raw = read_le(opcode == 'J' ? 4 : opcode == 'K' ? 1 : 2);
      value->integer = opcode == 'J' ? static_cast<std::int32_t>(raw) : static_cast<std::int64_t>(raw);
      stack_.push_back(value);
      break;
    }
    case 0x8a: {                                         // LONG1: little-endian two's complement
      std::size_t length = read_le(1);
      if (length > 8) fail("integer wider than 64 bits");
      std::uint64_t raw = length ? read_le(static_cast<int>(length)) : 0;
      if (length > 0 && length < 8 && (raw >> (8 * length - 1)) & 1) raw |= ~0ULL << (8 * length);
      Ref value = make(Kind::integer);
      value->integer = static_cast<std::int64_t>(raw);
      stack_.push_back(value);
      break;
    }
    case 'G': {                                          // BINFLOAT (big-endian)
      std::uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) bits = (bits << 8) | read_le(1);
      Ref value = make(Kind::floating);
      std::memcpy(&value->floating, &bits, sizeof bits);
      stack_.push_back(value);
      break;
    }
    case 'X': case 0x8c: case 0x8d: case 'T': case 'U': {  // unicode and byte strings
      int width = opcode == 'X' || opcode == 'T' ? 4 : opcode == 0x8d ? 8 : 1;
      Ref value = make(Kind::string);
      value->text = read_bytes(read_le(width));
      stack_.push_back(value);
      break;
    }
    case 'c': {                                          // GLOBAL "module\nname\n"
      std::string module = read_line();
      push_global(module, read_line());
      break;
    }
    case 0x93: {                                         // STACK_GLOBAL
      Ref name = pop(), module = pop();
      if (name->kind != Kind::string || module->kind != Kind::string) fail("STACK_GLOBAL without strings");
      push_global(module->text, name->text);
      break;
    }
    case 'q': memo_[read_le(1)] = top(); break;          // BINPUT
    case 'r': memo_[read_le(4)] = top(); break;          // LONG_BINPUT
    case 0x94: memo_[memo_.size()] = top(); break;       // MEMOIZE
    case 'h': case 'j': {                                // BINGET, LONG_BINGET
      auto found = memo_.find(read_le(opcode == 'h' ? 1 : 4));
      if (found == memo_.end()) fail("memo key not found");
      stack_.push_back(found->second);
      break;
    }
    case 't': case 0x85: case 0x86: case 0x87: {         // TUPLE, TUPLE1..3
      Ref tuple = make(Kind::tuple);
      if (opcode == 't') {
        tuple->items = pop_to_mark();
      } else {
        std::size_t count = opcode - 0x84u;
        for (std::size_t i = 0; i < count; ++i) tuple->items.insert(tuple->items.begin(), pop());
      }
      stack_.push_back(tuple);
      break;
    }
    case 'a': {                                          // APPEND
      Ref item = pop();
      if (top()->kind != Kind::list) fail("APPEND to something that is not a list");
      top()->items.push_back(item);
      break;
    }
    case 'e': {                                          // APPENDS
      auto items = pop_to_mark();
      if (top()->kind != Kind::list) fail("APPENDS to something that is not a list");
      for (auto& item : items) top()->items.push_back(std::move(item));
      break;
    }
    case 's': {                                          // SETITEM
      std::vector<Ref> items(2);
      items[1] = pop();
      items[0] = pop();
      set_items(top(), items);
      break;
    }
    case 'u': {                                          // SETITEMS
      auto items = pop_to_mark();
      set_items(top(), items);
      break;
    }
    case 'R': {                                          // REDUCE
      Ref args = pop(), callable = pop();
      stack_.push_back(reduce(callable, args));
      break;
    }
    case 'b': {                                          // BUILD: only an OrderedDict's __dict__
      pop();
      if (top()->kind != Kind::dict) fail("BUILD on something that is not an OrderedDict");
      break;                                             // (HF's _metadata: not needed)
    }
    case 'Q': {                                          // BINPERSID
      Ref id = pop();
      stack_.push_back(persistent_load(id));
      break;
    }
    case '.': stopped_ = true; break;                    // STOP
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", opcode);
      fail(std::string("pickle opcode ") + hex + " is not used by torch state dicts; refusing to unpickle");
    }
  }
}

Ref Unpickler::run() {
  while (!stopped_) {
    if (position_ >= size_) fail("pickle ends without STOP (truncated?)");
    step(data_[position_++]);
  }
  if (stack_.size() != 1) fail("pickle does not leave exactly one object");
  return stack_.back();
}

}  // namespace

std::vector<PickledTensor> unpickle_state_dict(const std::byte* data, std::size_t size,
                                               const std::string& source) {
  Ref root = Unpickler(data, size, source).run();
  if (root->kind != Object::Kind::dict)
    throw input_error(source, 0, "data.pkl does not hold a dict of tensors (a state dict)");
  std::vector<PickledTensor> tensors;
  for (std::size_t i = 0; i + 1 < root->items.size(); i += 2) {
    const Ref& key = root->items[i];
    const Ref& value = root->items[i + 1];
    if (key->kind != Object::Kind::string) throw input_error(source, 0, "state dict key is not a string");
    if (value->kind != Object::Kind::tensor)
      throw input_error(source, 0, "state dict entry '{}' is not a tensor", key->text);
    PickledTensor tensor = value->tensor;
    tensor.name = key->text;
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

}  // namespace oncolm::model
