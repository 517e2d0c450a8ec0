#pragma once
// `basin eval --confusion FILE.png`: the confusion matrix drawn by gnuplot
// (tools/gnuplot.h: no shell, class names only through gp_text).
#include <string>
#include <vector>

#include "train/class_metrics.h"

namespace basin::tools {

// Rows: true class (top to bottom), columns: predicted class. Each cell is
// coloured by its share of its true class and labelled with its count (up to 30
// classes; beyond that, colour alone).
void write_confusion_png(const train::ClassTally& t, const std::vector<std::string>& names, const std::string& out);

}  // namespace basin::tools
