// Subcommand entry points; one file per subcommand (cmd_<name>.cpp). argv[0] is the subcommand.
#pragma once

namespace oncolm::cli {
int run_windows(int argc, char** argv);      // cmd_windows.cpp (needs htslib)
int run_breakpoints(int argc, char** argv);  // cmd_breakpoints.cpp (needs htslib)
int run_embed(int argc, char** argv);        // cmd_embed.cpp   (needs torch)
int run_model(int argc, char** argv);        // cmd_model.cpp   (needs torch)
int run_train(int argc, char** argv);        // cmd_train.cpp   (needs torch)
int run_classify(int argc, char** argv);     // cmd_classify.cpp (needs torch)
int run_score(int argc, char** argv);        // cmd_score.cpp   (needs torch)
int run_report(int argc, char** argv);       // cmd_report.cpp  (links downstream's .npy reader)
}  // namespace oncolm::cli
