// The `dlog` CLI against an admin server with a recording backend on a local socket.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "admin/admin_server.h"
#include "fake_backend.h"
#include "stack/kernel_stack.h"

namespace dlog::admin {
namespace {

struct CliRun {
  int rc;
  std::string out;  // stdout and stderr
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dlog-cli-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    auto l = stack::ListenUnix((dir_ / "admin.sock").string());
    ASSERT_TRUE(l.ok()) << l.status().message();
    server_ = std::make_unique<AdminServer>(backend_);
    server_->ServeLocal(std::move(*l));
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  CliRun Dlog(const std::string& args) { return DlogIn(dir_.string(), args); }
  CliRun DlogIn(const std::string& data_dir, const std::string& args) {
    std::string cmd = std::string(DLOG_CLI) + " --data-dir " + data_dir + " " + args + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
    std::string out;
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p.get())) > 0) out.append(buf.data(), n);
    int status = pclose(p.release());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }

  std::filesystem::path dir_;
  FakeBackend backend_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(CliTest, StatusPrintsATable) {
  auto r = Dlog("status");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Node node-a, overlay 10.0.0.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node-b"), std::string::npos);
  EXPECT_NE(r.out.find("192.168.1.11:51820"), std::string::npos);
  EXPECT_NE(r.out.find("never"), std::string::npos);
  EXPECT_NE(r.out.find("3.0 MiB"), std::string::npos);
  EXPECT_NE(r.out.find("1.5 KiB"), std::string::npos);
  EXPECT_NE(r.out.find("active, epoch 4"), std::string::npos);
  auto j = Dlog("--json status");
  EXPECT_NE(j.out.find("\"last_handshake\""), std::string::npos);
}

TEST_F(CliTest, TokenInviteRemove) {
  auto tok = Dlog("admin token --role client --uses 3 --ttl 600");
  ASSERT_EQ(tok.rc, 0) << tok.out;
  EXPECT_EQ(tok.out, "dlog1.fake\n");
  auto file = (dir_ / "laptop.conf").string();
  auto inv = Dlog("admin invite --name laptop --qr -o " + file);
  ASSERT_EQ(inv.rc, 0) << inv.out;
  EXPECT_NE(inv.out.find("\u2588"), std::string::npos) << "no QR code drawn";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  EXPECT_EQ(text.str(), "[Interface]\nPrivateKey = x\n");
  EXPECT_NE(Dlog("admin invite -o " + file).rc, 0) << "an existing file was overwritten";
  auto rm = Dlog("admin remove nobody");
  EXPECT_EQ(rm.rc, 1);
  EXPECT_NE(rm.out.find("404 Not Found: unknown member"), std::string::npos) << rm.out;
  EXPECT_EQ(backend_.calls(),
            (std::vector<std::string>{"CreateToken client 600 3", "Invite admin laptop",
                                      "Invite admin ", "RemoveMember nobody"}));
}

TEST_F(CliTest, BadArgumentsAndNoNode) {
  EXPECT_NE(Dlog("admin token --role king").rc, 0);
  EXPECT_NE(Dlog("admin token --uses 0").rc, 0);
  auto none = DlogIn("/nonexistent", "status");
  EXPECT_EQ(none.rc, 1);
  EXPECT_NE(none.out.find("is dlog-server running"), std::string::npos) << none.out;
  EXPECT_TRUE(backend_.calls().empty());
}

}  // namespace
}  // namespace dlog::admin
