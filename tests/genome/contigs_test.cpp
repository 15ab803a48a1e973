// Contig reconciliation on the test reference (contigs 20: 63,025,520 bp and MT: rCRS, 16,569 bp).
#include <gtest/gtest.h>

#include "core/error.h"
#include "genome/io/contigs.h"
#include "test_support.h"

using namespace oncolm;
using namespace oncolm::genome;
using namespace oncolm::test;

class ContigsTest : public ::testing::Test {
 protected:
  Reference reference{oncolm::test::reference()};
  std::int64_t chr20_length = reference.length(reference.find("20"));
  std::int64_t mt_length = reference.length(reference.find("MT"));
};

TEST_F(ContigsTest, SameNameAndChrPrefixWithEqualLength) {
  ContigResolver resolver(reference, {});
  EXPECT_EQ(resolver.resolve("20", chr20_length, "x.vcf").contig, reference.find("20"));
  EXPECT_EQ(resolver.resolve("20", 0, "x.vcf").contig, reference.find("20"));  // no length: same name is enough
  EXPECT_EQ(resolver.resolve("chr20", chr20_length, "x.vcf").contig, reference.find("20"));
}

TEST_F(ContigsTest, NoRenamingWithoutEqualLength) {
  ContigResolver resolver(reference, {});
  EXPECT_EQ(resolver.resolve("chr20", 0, "x.vcf").contig, -1);
  // hg19 chrM is 16,571 bp, two more than rCRS.
  ContigMatch chrM = resolver.resolve("chrM", mt_length + 2, "x.vcf");
  EXPECT_EQ(chrM.contig, -1);
  EXPECT_NE(chrM.reason.find("another length"), std::string::npos);
  EXPECT_EQ(resolver.resolve("chrM", mt_length, "x.vcf").contig, reference.find("MT"));
  EXPECT_EQ(resolver.resolve("GL000192.1", 547496, "x.vcf").contig, -1);
}

TEST_F(ContigsTest, DeclaredLengthThatDisagreesIsAnError) {
  ContigResolver resolver(reference, {});
  try {
    resolver.resolve("MT", mt_length + 2, "calls.vcf");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("calls.vcf"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("another assembly"), std::string::npos);
  }
}

TEST_F(ContigsTest, ContigMapRenamesButStillChecksLength) {
  ScratchDir dir;
  write_file(dir / "map.tsv", "# vcf\treference\nchromosome20\t20\nchrM\tMT\n");
  ContigResolver resolver(reference, read_contig_map(dir / "map.tsv", reference));
  EXPECT_EQ(resolver.resolve("chromosome20", 0, "x.vcf").contig, reference.find("20"));
  EXPECT_THROW(resolver.resolve("chrM", mt_length + 2, "x.vcf"), InputError);
  write_file(dir / "bad.tsv", "chr1\t1\n");
  try {
    read_contig_map(dir / "bad.tsv", reference);
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("bad.tsv:1"), std::string::npos);
  }
}
