// Base codes shared by every stage that counts bases or classifies mutations (genome statistics,
// downstream mutation classes): standard library only.
#pragma once

namespace oncolm {

// A=0, C=1, G=2, T=3 (upper case), -1 for anything else: the index used for base and 6-mer counts.
inline int acgt_index(char base) {
  switch (base) {
    case 'A': return 0;
    case 'C': return 1;
    case 'G': return 2;
    case 'T': return 3;
    default: return -1;
  }
}

}  // namespace oncolm
