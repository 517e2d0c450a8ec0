// Issue #15, "commands people expect": `basin --version`, `basin eval`'s top-5,
// per-class accuracy and confusion matrix, `basin predict`, steps.jsonl and
// seeded --limit-* samples. Through the built `basin` binary on tiny data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/open_dataset.h"
#include "tests/cli_tiny_folder.h"
#include "data/image_folder.h"
#include "data/seeded_sample.h"
#include "nn/models/factory.h"
#include "nn/safetensors.h"
#include "nn/weights.h"
#include "tests/cli_test_util.h"
#include "train/class_metrics.h"
#include "train/data_setup.h"
#include "train/saved_model.h"
#include "train/subset_dataset.h"

namespace fs = std::filesystem;

using basin::testing::CliRun;
using basin::testing::slurp;

namespace {

std::string scratch() {
  static basin::testing::ScratchDir dir("cli_commands");
  return dir.path();
}

CliRun run(const std::string& args) { return basin::testing::run_basin(args, scratch()); }

// A tiny image folder (train/ and test/, 48 PNGs each, 10 Fashion-MNIST classes) made once.
const std::string& tiny_folder() {
  static const std::string dir = basin::testing::make_tiny_image_folder(scratch() + "/tiny");
  return dir;
}

// Trains a small MLP on `data` (8x8 RGB) once per `out` and returns its weights.
std::string trained(const std::string& data, const std::string& out) {
  const std::string w = out + "/model.safetensors";
  if (fs::exists(w)) return w;
  CliRun r = run("train --data " + data + " --image-size 8 --hidden 16 --batch-size 16 --workers 1 --epochs 2 --quiet --out " + out);
  EXPECT_EQ(r.status, 0) << r.err;
  return w;
}

nlohmann::json last_json_line(const std::string& s) {
  std::istringstream is(s);
  std::string line, last;
  while (std::getline(is, line))
    if (!line.empty() && line[0] == '{') last = line;
  return nlohmann::json::parse(last);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    rows.emplace_back();
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ',')) rows.back().push_back(cell);
  }
  return rows;
}

std::int64_t files_in(const fs::path& dir) {
  std::int64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

TEST(CliVersion, PrintsTheProjectVersionFromCMakeLists) {
  const std::string cmake = slurp(std::string(BASIN_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(cmake, m, std::regex(R"(project\(basin VERSION ([0-9]+\.[0-9]+\.[0-9]+))")));
  CliRun r = run("--version");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "basin " + m[1].str() + "\n");
}

// ---- basin eval: top-k, per-class, confusion ---------------------------------------

TEST(ClassMetrics, TopKFollowsTheArgmaxRuleForTiesAndNaN) {
  using basin::train::top_k_classes;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> a{0.5f, 2.0f, 2.0f, -1.0f, 3.0f};
  EXPECT_EQ(top_k_classes(a.data(), 5, 3), (std::vector<std::int64_t>{4, 1, 2}));  // tie: lower index first
  EXPECT_EQ(top_k_classes(a.data(), 5, 9), (std::vector<std::int64_t>{4, 1, 2, 0, 3}));  // k past C: all
  const std::vector<float> b{1.0f, nan, 5.0f, nan};
  EXPECT_EQ(top_k_classes(b.data(), 4, 4), (std::vector<std::int64_t>{1, 3, 2, 0}));  // a NaN before any number
}

TEST(ClassMetrics, TallyCountsTopOneTopKAndTheConfusionMatrixByHand) {
  using basin::Tensor;
  // 4 samples, 3 classes, k = 2.
  const std::vector<float> logits{3, 2, 1,   // true 0: predicted 0
                                  1, 2, 3,   // true 0: predicted 2, 0 not in top 2
                                  0, 5, 1,   // true 1: predicted 1
                                  2, 1, 3};  // true 0: predicted 2, 0 in top 2
  basin::train::ClassTally t(3, 2);
  t.add(Tensor::from_vector(logits, {4, 3}), Tensor::from_vector(std::vector<std::int64_t>{0, 0, 1, 0}, {4}), 0.5);
  EXPECT_EQ(t.stats.correct, 2);
  EXPECT_EQ(t.top_k_correct, 3);
  EXPECT_EQ(t.confusion, (std::vector<std::int64_t>{1, 0, 2, 0, 1, 0, 0, 0, 0}));
  EXPECT_EQ(t.class_count(0), 3);
  EXPECT_EQ(t.class_correct(0), 1);
  const auto j = basin::train::per_class_json(t, {"a", "b", "c,d"});
  EXPECT_DOUBLE_EQ(j[0]["accuracy"].get<double>(), 1.0 / 3);
  EXPECT_TRUE(j[2]["accuracy"].is_null());  // no sample of class 2: no figure, not 0
  EXPECT_EQ(basin::train::confusion_csv(t, {"a", "b", "c,d"}),
            "true\\predicted,a,b,\"c,d\"\na,1,0,2\nb,0,1,0\n\"c,d\",0,0,0\n");
}

TEST(CliEval, TopFivePerClassAndConfusionAgreeWithEachOther) {
  const std::string w = trained(tiny_folder(), scratch() + "/run10");
  const std::string csv = scratch() + "/confusion.csv";
  CliRun r = run("eval --weights " + w + " --data " + tiny_folder() + " --confusion " + csv + " --per-class");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["count"], 48);
  EXPECT_EQ(j["top5_k"], 5);
  EXPECT_GE(j["top5"].get<double>(), j["accuracy"].get<double>());
  const auto rows = csv_rows(slurp(csv));
  ASSERT_EQ(rows.size(), 11u);
  ASSERT_EQ(rows[0].size(), 11u);
  EXPECT_EQ(rows[0][0], "true\\predicted");
  std::int64_t total = 0, diagonal = 0;
  for (int c = 0; c < 10; ++c) {
    const auto& pc = j["per_class"][static_cast<std::size_t>(c)];
    EXPECT_EQ(rows[0][static_cast<std::size_t>(c + 1)], pc["class"].get<std::string>());
    EXPECT_EQ(rows[static_cast<std::size_t>(c + 1)][0], pc["class"].get<std::string>());
    // Each class's count is the number of its files in test/.
    EXPECT_EQ(pc["count"].get<std::int64_t>(), files_in(fs::path(tiny_folder()) / "test" / pc["class"].get<std::string>()));
    std::int64_t row = 0;
    for (int p = 0; p < 10; ++p) row += std::stoll(rows[static_cast<std::size_t>(c + 1)][static_cast<std::size_t>(p + 1)]);
    EXPECT_EQ(row, pc["count"].get<std::int64_t>());
    total += row;
    diagonal += std::stoll(rows[static_cast<std::size_t>(c + 1)][static_cast<std::size_t>(c + 1)]);
    if (row) {
      EXPECT_DOUBLE_EQ(pc["accuracy"].get<double>(), std::stod(rows[static_cast<std::size_t>(c + 1)][static_cast<std::size_t>(c + 1)]) / static_cast<double>(row));
    }
  }
  EXPECT_EQ(total, 48);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), static_cast<double>(diagonal) / 48.0);
  EXPECT_NE(r.err.find("accuracy"), std::string::npos) << r.err;  // the --per-class table
  EXPECT_NE(r.err.find("Trouser"), std::string::npos) << r.err;
}

// Progress lines follow training's rule: a bar only on a terminal, otherwise a
// plain line every 10 s. These runs write to pipes and take well under 10 s, so
// stderr holds no progress at all and stdout is untouched.
TEST(CliProgress, PipedEvalHessianAndExportStayClean) {
  const std::string w = trained(tiny_folder(), scratch() + "/run_progress");
  const std::vector<std::string> commands = {
      "eval --weights " + w + " --data " + tiny_folder(),
      "hessian --weights " + w + " --data " + tiny_folder() + " --subset 16 --samples 2 --power-iters 2 --gap-samples 2",
      "data export-idx --out " + scratch() + "/export_progress --limit 20"};
  for (const std::string& c : commands) {
    CliRun r = run(c);
    ASSERT_EQ(r.status, 0) << c << "\n" << r.err;
    for (const std::string& s : {r.out, r.err}) {
      EXPECT_EQ(s.find('\r'), std::string::npos) << c << "\n" << s;
      EXPECT_EQ(s.find('\x1b'), std::string::npos) << c << "\n" << s;
    }
    for (const char* label : {"eval ", "hessian ", "export "})
      EXPECT_NE(r.err.rfind(label, 0), 0u) << c << "\n" << r.err;  // no progress line first
    EXPECT_EQ(r.err.find(" batches "), std::string::npos) << c << "\n" << r.err;
    EXPECT_EQ(r.err.find(" loss passes"), std::string::npos) << c << "\n" << r.err;
  }
}

// --confusion FILE.png draws the matrix (gnuplot); a .csv name still writes CSV.
TEST(CliEval, ConfusionPngIsDrawnByGnuplot) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) GTEST_SKIP() << "gnuplot not installed";
  const std::string w = trained(tiny_folder(), scratch() + "/run_confusion_png");
  const std::string png = scratch() + "/confusion.png";
  CliRun r = run("eval --weights " + w + " --data " + tiny_folder() + " --confusion " + png);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
  EXPECT_EQ(last_json_line(r.out)["count"], 48);  // the JSON line as without a drawing
}

TEST(CliEval, AFolderWithOnlyValOrOnlyTestIsEnough) {
  const std::string w = trained(tiny_folder(), scratch() + "/run10");
  CliRun both = run("eval --weights " + w + " --data " + tiny_folder());
  ASSERT_EQ(both.status, 0) << both.err;
  for (const char* split : {"val", "test"}) {
    const std::string d = scratch() + "/only_" + split;
    fs::create_directories(d);
    fs::copy(fs::path(tiny_folder()) / "test", fs::path(d) / split, fs::copy_options::recursive);
    CliRun r = run("eval --weights " + w + " --data " + d);
    ASSERT_EQ(r.status, 0) << split << ": " << r.err;
    EXPECT_EQ(r.out, both.out) << split;
    CliRun t = run("eval --weights " + w + " --data " + d + " --split train");
    EXPECT_EQ(t.status, 1) << split;
    EXPECT_NE(t.err.find("train/"), std::string::npos) << t.err;
  }
}

TEST(CliEval, FewerThanFiveClassesTakeTopKOverAllClasses) {
  const std::string d = scratch() + "/three";
  int taken = 0;  // the first three classes present in both splits
  for (const auto& e : fs::directory_iterator(fs::path(tiny_folder()) / "train")) {
    const fs::path test = fs::path(tiny_folder()) / "test" / e.path().filename();
    if (taken == 3 || !fs::is_directory(test)) continue;
    for (const char* split : {"train", "test"}) {
      fs::create_directories(fs::path(d) / split);
      fs::copy(fs::path(tiny_folder()) / split / e.path().filename(), fs::path(d) / split / e.path().filename(),
               fs::copy_options::recursive);
    }
    ++taken;
  }
  ASSERT_EQ(taken, 3);
  const std::string w = trained(d, scratch() + "/run3");
  CliRun r = run("eval --weights " + w + " --data " + d);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = last_json_line(r.out);
  EXPECT_EQ(j["top5_k"], 3);
  EXPECT_DOUBLE_EQ(j["top5"].get<double>(), 1.0);
  EXPECT_EQ(j["per_class"].size(), 3u);
}

// ---- basin predict ------------------------------------------------------------------

TEST(CliPredict, TopOneOverTheTestFolderGivesEvalsAccuracy) {
  const std::string w = trained(tiny_folder(), scratch() + "/run10");
  const auto meta = basin::nn::load_safetensors(w).metadata;
  ASSERT_TRUE(meta.count("class_names"));
  EXPECT_EQ(nlohmann::json::parse(meta.at("class_names")).size(), 10u);
  ASSERT_TRUE(meta.count("preprocess"));
  CliRun e = run("eval --weights " + w + " --data " + tiny_folder());
  ASSERT_EQ(e.status, 0) << e.err;
  CliRun r = run("predict --json --weights " + w + " " + tiny_folder() + "/test");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 48u);
  int correct = 0;
  for (const auto& img : j) {
    const auto& top = img["top"];
    ASSERT_EQ(top.size(), 5u);
    double sum = 0;
    for (std::size_t i = 0; i < top.size(); ++i) {
      sum += top[i]["probability"].get<double>();
      if (i) {
        EXPECT_GE(top[i - 1]["probability"].get<double>(), top[i]["probability"].get<double>());
      }
    }
    EXPECT_LE(sum, 1.0 + 1e-5);
    EXPECT_GT(sum, 0.0);
    const std::string truth = fs::path(img["file"].get<std::string>()).parent_path().filename().string();
    correct += top[0]["class"].get<std::string>() == truth;
  }
  EXPECT_DOUBLE_EQ(correct / 48.0, last_json_line(e.out)["accuracy"].get<double>());

  // The table: the file, then one line per class with its probability and name.
  const std::string one = j[0]["file"].get<std::string>();
  CliRun t = run("predict --weights " + w + " --top 2 " + one);
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_EQ(t.out.rfind(one + "\n", 0), 0u) << t.out;
  EXPECT_NE(t.out.find(j[0]["top"][0]["class"].get<std::string>()), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("%"), std::string::npos) << t.out;
}

TEST(CliPredict, WeightsWithoutClassNamesPrintIndices) {
  const std::string w = trained(tiny_folder(), scratch() + "/run10");
  auto f = basin::nn::load_safetensors(w);
  f.metadata.erase("class_names");
  const std::string bare = scratch() + "/bare.safetensors";
  basin::nn::save_safetensors(bare, f.tensors, f.metadata);
  CliRun r = run("predict --json --weights " + bare + " " + tiny_folder() + "/test");
  ASSERT_EQ(r.status, 0) << r.err;
  CliRun named = run("predict --json --weights " + w + " " + tiny_folder() + "/test");
  const auto a = nlohmann::json::parse(r.out), b = nlohmann::json::parse(named.out);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_FALSE(a[i]["top"][0].contains("class"));
    EXPECT_EQ(a[i]["top"][0]["index"], b[i]["top"][0]["index"]);
  }
  CliRun missing = run("predict --weights " + w + " " + scratch() + "/no_such.png");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no_such.png"), std::string::npos) << missing.err;
}

// ---- steps.jsonl --------------------------------------------------------------------

namespace {

std::vector<nlohmann::json> jsonl(const std::string& path) {
  std::vector<nlohmann::json> v;
  std::istringstream is(slurp(path));
  for (std::string line; std::getline(is, line);)
    if (!line.empty()) v.push_back(nlohmann::json::parse(line));
  return v;
}

std::string step_args(const std::string& out) {
  return "train --data " + tiny_folder() + " --image-size 8 --hidden 16 --batch-size 16 --workers 1 --quiet"
         " --epochs 2 --log-every 1 --schedule cosine --out " + out;
}

}  // namespace

TEST(CliSteps, ALineEveryNStepsWithEpochStepLossLrAndSpeed) {
  const std::string out = scratch() + "/steps2";
  CliRun r = run("train --data " + tiny_folder() + " --image-size 8 --hidden 16 --batch-size 16 --workers 1 --quiet"
                 " --epochs 2 --log-every 2 --schedule none --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto s = jsonl(out + "/steps.jsonl");  // 3 steps an epoch: lines at steps 2, 4, 6
  ASSERT_EQ(s.size(), 3u);
  const int epochs[] = {1, 2, 2};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(s[i]["step"], 2 * (i + 1));
    EXPECT_EQ(s[i]["epoch"], epochs[i]);
    EXPECT_TRUE(std::isfinite(s[i]["loss"].get<double>()));
    EXPECT_GT(s[i]["images_per_s"].get<double>(), 0);
    EXPECT_DOUBLE_EQ(s[i]["lr"].get<double>(), jsonl(out + "/metrics.jsonl")[0]["lr"].get<double>());  // constant lr
  }
  const std::string none = scratch() + "/steps0";
  ASSERT_EQ(run("train --data " + tiny_folder() + " --image-size 8 --hidden 16 --batch-size 16 --workers 1 --quiet"
                " --epochs 1 --log-every 0 --out " + none).status, 0);
  EXPECT_FALSE(fs::exists(none + "/steps.jsonl"));
}

TEST(CliSteps, ResumeCutsTheFileBackToTheCheckpointAndRepeatsNoLine) {
  const std::string full = scratch() + "/steps_full", split = scratch() + "/steps_split";
  ASSERT_EQ(run(step_args(full)).status, 0);
  ASSERT_EQ(run(step_args(split) + " --max-steps 4").status, 0);
  // As if the process died after writing lines past its checkpoint (step 4): one whole, one torn.
  {
    std::ofstream f(split + "/steps.jsonl", std::ios::app);
    f << "{\"epoch\":2,\"step\":5,\"loss\":9,\"lr\":1,\"images_per_s\":1}\n{\"epoch\":2,\"st";
  }
  CliRun r = run("train --resume " + split + " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto a = jsonl(full + "/steps.jsonl"), b = jsonl(split + "/steps.jsonl");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(b[i]["step"], i + 1);
    EXPECT_EQ(a[i]["epoch"], b[i]["epoch"]);
    EXPECT_EQ(a[i]["loss"], b[i]["loss"]) << "step " << i + 1;  // resume is bitwise the same run
    EXPECT_EQ(a[i]["lr"], b[i]["lr"]) << "step " << i + 1;
  }
  EXPECT_GT(a[0]["lr"].get<double>(), a[5]["lr"].get<double>());  // cosine: lr per step, not per epoch
}

// ---- --limit-train / --limit-test on a folder -------------------------------------

TEST(SeededSample, DistinctSortedDeterministicAndSeedDependent) {
  const auto a = basin::data::seeded_sample(1000, 50, 7), b = basin::data::seeded_sample(1000, 50, 7);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 50u);
  for (std::size_t i = 1; i < a.size(); ++i) EXPECT_LT(a[i - 1], a[i]);
  EXPECT_GE(a.front(), 0);
  EXPECT_LT(a.back(), 1000);
  EXPECT_NE(a, basin::data::seeded_sample(1000, 50, 8));
  EXPECT_EQ(basin::data::seeded_sample(5, 9, 1), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  // Roughly uniform: over many seeds every index is drawn about n/total of the time.
  std::vector<int> hits(20, 0);
  for (std::uint64_t seed = 0; seed < 2000; ++seed)
    for (auto i : basin::data::seeded_sample(20, 5, seed)) ++hits[static_cast<std::size_t>(i)];
  for (int h : hits) EXPECT_NEAR(h, 500, 100);
}

TEST(CliLimits, TwentyImagesOfAFourClassFolderSeeAllFourClasses) {
  // 4 classes of 12 images each, listed class by class: the first 20 files hold 2 classes.
  const std::string d = scratch() + "/four";
  int taken = 0;
  for (const auto& e : fs::directory_iterator(fs::path(tiny_folder()) / "train")) {
    if (taken == 4) break;
    for (const char* split : {"train", "test"}) {
      fs::create_directories(fs::path(d) / split / e.path().filename());
      for (int i = 0; i < 12; ++i)  // the class's first image, 12 times
        fs::copy_file(*fs::directory_iterator(e.path()),
                      fs::path(d) / split / e.path().filename() / (std::to_string(i) + ".png"));
    }
    ++taken;
  }
  auto folder = std::make_shared<basin::data::ImageFolderDataset>(d + "/train", 1);
  for (std::uint64_t seed : {0u, 1u, 2u}) {
    auto sub = basin::train::limit_split(d, folder, 20, seed, false);
    ASSERT_EQ(sub->size(), 20);
    std::set<std::string> classes;
    for (std::int64_t i = 0; i < 20; ++i) classes.insert(fs::path(sub->sample_name(i)).parent_path().filename().string());
    EXPECT_EQ(classes.size(), 4u) << "seed " << seed;
    auto again = basin::train::limit_split(d, folder, 20, seed, false);
    for (std::int64_t i = 0; i < 20; ++i) EXPECT_EQ(sub->sample_name(i), again->sample_name(i));
  }
  // Through the command: train --limit-test and eval --limit with the same seed see the same images.
  const std::string out = scratch() + "/four_run";
  CliRun r = run("train --data " + d + " --image-size 8 --hidden 16 --batch-size 8 --workers 1 --quiet --json"
                 " --epochs 1 --limit-train 20 --limit-test 20 --seed 3 --out " + out);
  ASSERT_EQ(r.status, 0) << r.err;
  CliRun e = run("eval --weights " + out + "/model.safetensors --data " + d + " --limit 20 --seed 3");
  ASSERT_EQ(e.status, 0) << e.err;
  const auto j = last_json_line(e.out);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), last_json_line(r.out)["test_acc"].get<double>());
  int seen = 0;
  for (const auto& c : j["per_class"]) seen += c["count"].get<int>() > 0;
  EXPECT_EQ(seen, 4);
}

TEST(SavedModelMetadata, ClassNamesAreAJsonArrayMatchingNumClasses) {
  basin::nn::ModelOptions o;
  o.input_features = 4;
  o.num_classes = 2;
  o.hidden = {3};
  auto model = basin::nn::make_model("mlp", o);
  const std::string w = scratch() + "/names.safetensors";
  const std::vector<std::string> names{"cat", "dog \"big\""};
  basin::nn::save_weights(*model, w, {{"class_names", basin::train::class_names_metadata(names)}, {"num_classes", "2"}});
  const auto s = basin::train::resolve_saved_model(w, "fashion-mnist", {});
  EXPECT_EQ(s.class_names, names);
  EXPECT_EQ(s.num_classes, 2);
  for (const auto& [value, msg] : std::vector<std::pair<std::string, std::string>>{
           {"cat,dog", "metadata 'class_names' is not a JSON array of strings"},
           {"[\"cat\", 3]", "metadata 'class_names' is not a JSON array of strings"},
           {"[\"cat\"]", "metadata 'class_names' holds 1 names for 'num_classes' 2"}}) {
    basin::nn::save_weights(*model, w, {{"class_names", value}, {"num_classes", "2"}});
    try {
      basin::train::resolve_saved_model(w, "fashion-mnist", {});
      ADD_FAILURE() << value;
    } catch (const basin::Error& e) {
      EXPECT_NE(std::string(e.what()).find("weights " + w + ": " + msg), std::string::npos) << e.what();
    }
  }
}
