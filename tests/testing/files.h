#ifndef IDENTITY_TESTS_TESTING_FILES_H_
#define IDENTITY_TESTS_TESTING_FILES_H_

#include <fstream>
#include <sstream>
#include <string>

namespace identity::testing {

// The whole file; empty if it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The file without its trailing line breaks, as a password file is read.
inline std::string ReadTrimmedFile(const std::string& path) {
  std::string text = ReadFile(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace identity::testing

#endif  // IDENTITY_TESTS_TESTING_FILES_H_
