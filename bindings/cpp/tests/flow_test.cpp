/*
 * flow_test.cpp: drives brokerlink.hpp through one broker's whole flow
 * against brokersim. tests/bindings_cpp.rs compiles it with
 * -std=c++17 -Wall -Wextra -Werror -pedantic and runs it once per flow,
 * describing the flow in environment variables:
 *
 *   BROKERLINK_TEST_FLOW             a name for messages ("angelone")
 *   BROKERLINK_TEST_CONFIG           config JSON pointing at brokersim
 *   BROKERLINK_TEST_CREDENTIALS      credentials that log in
 *   BROKERLINK_TEST_BAD_CREDENTIALS  credentials the broker refuses (BROKER_ERR_AUTH)
 *   BROKERLINK_TEST_USER_ID          the account's user id
 *   BROKERLINK_TEST_CASH             available_cash as exact JSON text ("12554.55")
 *   BROKERLINK_TEST_REFRESH          "1" when the broker supports refresh
 *   BROKERLINK_TEST_BROWSE           set for a browser login: brokersim's path; each login
 *                                    then opens broker_login_url's page with
 *                                    `brokersim browse` and logs in with the redirect_url
 *
 * Prints one line per check and ends with "N passed, M failed".
 */
/* popen and pclose, for `brokersim browse`. */
#define _POSIX_C_SOURCE 200809L

#include "brokerlink.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <type_traits>

static_assert(!std::is_copy_constructible_v<brokerlink::Session>, "Session is move-only");
static_assert(!std::is_copy_assignable_v<brokerlink::Session>, "Session is move-only");
static_assert(std::is_nothrow_move_constructible_v<brokerlink::Session>, "moves never throw");
static_assert(std::is_nothrow_move_assignable_v<brokerlink::Session>, "moves never throw");
static_assert(std::is_base_of_v<std::runtime_error, brokerlink::Error>, "Error is a runtime_error");

namespace {

int passed = 0;
int failed = 0;

std::string env(const char *name)
{
    const char *value = std::getenv(name);
    if (value == nullptr) {
        std::fprintf(stderr, "%s is not set: run this through tests/bindings_cpp.rs\n", name);
        std::exit(2);
    }
    return value;
}

bool contains(const std::string &text, const std::string &needle) { return text.find(needle) != std::string::npos; }

/* Logs in as a user does: with the flow's credentials, or, for a browser
   login, through broker_login_url's page (played by `brokersim browse`) and
   the address it redirects to. Returns the login's JSON. */
std::string log_in(brokerlink::Session &s)
{
    const char *browse = std::getenv("BROKERLINK_TEST_BROWSE");
    if (browse == nullptr) {
        return s.login(env("BROKERLINK_TEST_CREDENTIALS"));
    }
    const std::string page = s.login_url();
    const std::string key = "\"url\":\"";
    const auto start = page.find(key) + key.size();
    const std::string url = page.substr(start, page.find('"', start) - start);
    const std::string command = std::string(browse) + " browse '" + url + "'";
    std::FILE *pipe = popen(command.c_str(), "r");
    std::string redirect;
    char chunk[512];
    while (pipe != nullptr && std::fgets(chunk, sizeof chunk, pipe) != nullptr) {
        redirect += chunk;
    }
    if (pipe != nullptr) {
        pclose(pipe);
    }
    while (!redirect.empty() && (redirect.back() == '\n' || redirect.back() == '\r')) {
        redirect.pop_back();
    }
    return s.login("{\"redirect_url\":\"" + redirect + "\"}");
}

/* Runs one check; a check fails by returning false or by throwing. */
void check(const char *name, const std::function<bool()> &body)
{
    bool ok = false;
    std::string why;
    try {
        ok = body();
    } catch (const brokerlink::Error &e) {
        why = "brokerlink::Error " + e.json();
    } catch (const std::exception &e) {
        why = e.what();
    }
    std::printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name, why.empty() ? "" : ": ", why.c_str());
    ++(ok ? passed : failed);
}

/* Runs `call` and returns the status of the Error it throws, or -1 when it does not throw. */
std::int32_t status_thrown(const std::function<void()> &call, brokerlink::Error *caught = nullptr)
{
    try {
        call();
    } catch (const brokerlink::Error &e) {
        if (caught != nullptr) {
            *caught = e;
        }
        return e.status();
    }
    return -1;
}

} // namespace

int main()
{
    const std::string config = env("BROKERLINK_TEST_CONFIG");
    const std::string bad_credentials = env("BROKERLINK_TEST_BAD_CREDENTIALS");
    const std::string user_id = "\"user_id\":\"" + env("BROKERLINK_TEST_USER_ID") + "\"";
    const std::string cash = "\"available_cash\":" + env("BROKERLINK_TEST_CASH");
    const bool can_refresh = env("BROKERLINK_TEST_REFRESH") == "1";
    std::printf("flow: %s\n", env("BROKERLINK_TEST_FLOW").c_str());

    check("the library matches the header", [] {
        return brokerlink::abi_version() == BROKERLINK_ABI_VERSION && brokerlink::version() == BROKERLINK_VERSION;
    });

    check("a bad config throws INVALID_ARGUMENT with a message", [] {
        brokerlink::Error e(0, "");
        const auto status = status_thrown([] { brokerlink::Session s(R"({"broker":"nope"})"); }, &e);
        return status == BROKER_ERR_INVALID_ARGUMENT && e.code() == "INVALID_ARGUMENT" && std::string(e.what()).size() > 5;
    });

    check("login, profile, rms, logout", [&] {
        brokerlink::Session s(config);
        const bool described = contains(s.description(), "\"broker\"");
        const bool logged_in = contains(log_in(s), user_id);
        const bool profile = contains(s.get_profile(), user_id);
        const bool rms = contains(s.get_rms(), cash);
        const bool logged_out = contains(s.logout(), "\"logged_out\":true");
        const bool gone = status_thrown([&] { s.get_rms(); }) == BROKER_ERR_NOT_LOGGED_IN;
        return described && logged_in && profile && rms && logged_out && gone;
    });

    check("refresh keeps the session working", [&] {
        brokerlink::Session s(config);
        log_in(s);
        if (!can_refresh) {
            return status_thrown([&] { s.refresh(); }) == BROKER_ERR_UNSUPPORTED;
        }
        return contains(s.refresh(), user_id) && contains(s.get_rms(), cash);
    });

    check("an exported session resumes in another Session", [&] {
        brokerlink::Session first(config);
        log_in(first);
        const std::string state = first.session_export();
        brokerlink::Session second(config);
        return contains(second.session_import(state), user_id) && contains(second.get_rms(), cash);
    });

    check("refused credentials throw AUTH with the broker's own answer", [&] {
        brokerlink::Session s(config);
        brokerlink::Error e(0, "");
        const auto status = status_thrown([&] { s.login(bad_credentials); }, &e);
        // Angel One sends a code (AB1007); Noren only a message (emsg).
        return status == BROKER_ERR_AUTH && e.code() == "AUTH" &&
               (!e.broker_code().empty() || !e.broker_message().empty()) && contains(e.json(), "\"status\":4");
    });

    check("a call before login throws NOT_LOGGED_IN", [&] {
        brokerlink::Session s(config);
        return status_thrown([&] { s.get_profile(); }) == BROKER_ERR_NOT_LOGGED_IN;
    });

    check("a moved-to Session works and the moved-from one is empty", [&] {
        brokerlink::Session a(config);
        log_in(a);
        brokerlink::Session b(std::move(a));
        const bool works = contains(b.get_rms(), cash);
        const bool empty = a.native_handle() == nullptr &&
                           status_thrown([&] { a.get_rms(); }) == BROKER_ERR_INVALID_HANDLE;
        brokerlink::Session c(config);
        c = std::move(b); /* frees c's own session first */
        return works && empty && contains(c.get_rms(), cash);
    });

    check("a NUL inside an argument is refused", [&] {
        brokerlink::Session s(config);
        std::string with_nul = "{\"pin\":\"1";
        with_nul += '\0';
        with_nul += "\"}";
        try {
            s.login(with_nul);
        } catch (const std::invalid_argument &) {
            return true;
        }
        return false;
    });

    check("totp gives six digits and refuses a bad secret", [] {
        const std::string code = brokerlink::totp("JBSWY3DPEHPK3PXP");
        const auto status = status_thrown([] { brokerlink::totp("not base32!"); });
        return contains(code, "\"code\":\"") && contains(code, "\"valid_for_s\":") &&
               status == BROKER_ERR_INVALID_ARGUMENT;
    });

    check("Error reads every field of the error object", [] {
        const brokerlink::Error e(BROKER_ERR_BROKER,
                                  R"({"status":7,"code":"BROKER","message":"say \"no\" \u20b9 \ud83d\ude00 \\ done",)"
                                  R"("broker_code":"AB2001","broker_message":"nested {\"x\":[1]}",)"
                                  R"("http_status":503,"retryable":true})");
        return e.status() == 7 && e.code() == "BROKER" &&
               std::string(e.what()) == "say \"no\" \xE2\x82\xB9 \xF0\x9F\x98\x80 \\ done" &&
               e.broker_code() == "AB2001" && e.broker_message() == "nested {\"x\":[1]}" && e.http_status() == 503 &&
               e.retryable();
    });

    check("Error without optional fields has empty ones", [] {
        const brokerlink::Error e(BROKER_ERR_TIMEOUT, R"({"status":9,"code":"TIMEOUT","message":"slow","retryable":false})");
        return e.broker_code().empty() && e.broker_message().empty() && e.http_status() == 0 && !e.retryable() &&
               brokerlink::status_name(e.status()) == "TIMEOUT";
    });

    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
