/*
 * brokerlink.hpp: the C++17 binding of brokerlink, header-only.
 *
 * A thin RAII layer over brokerlink.h: brokerlink::Session owns one session
 * handle (move-only, freed on destruction), each operation returns the
 * library's JSON as a std::string, and every failure is thrown as
 * brokerlink::Error carrying the error object's fields. Parse the JSON with
 * the library of your choice; this header has no dependencies beyond the C
 * header and the standard library.
 *
 *   #include "brokerlink.hpp"
 *   brokerlink::Session s(R"({"broker":"angelone","api_key":"...","client_code":"..."})");
 *   s.login(R"({"pin":"1234","totp_secret":"BASE32SECRET"})");
 *   std::cout << s.get_rms() << "\n";   // {"broker":"angelone","available_cash":...}
 *
 * Link with -lbrokerlink (pkg-config --libs brokerlink, or the CMake target
 * brokerlink::brokerlink). Thread-safety is the C library's: one Session may
 * be used from many threads at once, but moving or destroying it while
 * another thread uses it is a data race, as for any C++ object.
 */
#ifndef BROKERLINK_HPP
#define BROKERLINK_HPP

#include "brokerlink.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

namespace brokerlink {

namespace detail {

/* Frees a string the library returned. */
struct StringFree {
    void operator()(char *s) const noexcept { broker_string_free(s); }
};

/* A string owned until the end of the scope, also when an exception leaves it. */
using OwnedString = std::unique_ptr<char, StringFree>;

/*
 * Reads one top-level field of a flat JSON object, the shape of the
 * library's error object. Nested objects and arrays are skipped, not
 * interpreted: the error object has none, and results are left to the
 * caller's JSON library. Returns false when the field is absent or the text
 * is not such an object.
 */
class FlatJson {
public:
    explicit FlatJson(const std::string &text) : text_(text) {}

    /* The value of a string field, unescaped to UTF-8. */
    bool string_field(const char *key, std::string &out) const
    {
        std::size_t at = 0;
        return find(key, at) && read_string(at, out);
    }

    /* The raw text of a number, true, false or null field. */
    bool scalar_field(const char *key, std::string &out) const
    {
        std::size_t at = 0;
        if (!find(key, at)) {
            return false;
        }
        const std::size_t start = at;
        while (at < text_.size() && text_[at] != ',' && text_[at] != '}' && !is_space(text_[at])) {
            ++at;
        }
        out = text_.substr(start, at - start);
        return !out.empty();
    }

private:
    const std::string &text_;

    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

    void skip_space(std::size_t &at) const
    {
        while (at < text_.size() && is_space(text_[at])) {
            ++at;
        }
    }

    /* Moves `at` to the value of top-level `key`. */
    bool find(const char *key, std::size_t &at) const
    {
        at = 0;
        skip_space(at);
        if (at >= text_.size() || text_[at] != '{') {
            return false;
        }
        ++at;
        for (;;) {
            skip_space(at);
            std::string name;
            if (!read_string(at, name)) {
                return false;
            }
            skip_space(at);
            if (at >= text_.size() || text_[at] != ':') {
                return false;
            }
            ++at;
            skip_space(at);
            if (name == key) {
                return true;
            }
            if (!skip_value(at)) {
                return false;
            }
            skip_space(at);
            if (at >= text_.size() || text_[at] != ',') {
                return false;
            }
            ++at;
        }
    }

    bool skip_value(std::size_t &at) const
    {
        std::string ignored;
        if (at < text_.size() && text_[at] == '"') {
            return read_string(at, ignored);
        }
        int depth = 0;
        for (; at < text_.size(); ++at) {
            const char c = text_[at];
            if (c == '"') {
                if (!read_string(at, ignored)) {
                    return false;
                }
                --at; /* the loop steps past the closing quote */
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (depth == 0) {
                    return true;
                }
                --depth;
            } else if (c == ',' && depth == 0) {
                return true;
            }
        }
        return false;
    }

    static bool hex4(const std::string &s, std::size_t at, unsigned &out)
    {
        if (at + 4 > s.size()) {
            return false;
        }
        out = 0;
        for (std::size_t i = at; i < at + 4; ++i) {
            const char c = s[i];
            out <<= 4;
            if (c >= '0' && c <= '9') {
                out |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                out |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                out |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return true;
    }

    static void append_utf8(std::string &out, unsigned cp)
    {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    /* Reads the JSON string starting at `at` (a quote), leaving `at` after it. */
    bool read_string(std::size_t &at, std::string &out) const
    {
        if (at >= text_.size() || text_[at] != '"') {
            return false;
        }
        out.clear();
        for (++at; at < text_.size(); ++at) {
            const char c = text_[at];
            if (c == '"') {
                ++at;
                return true;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (++at >= text_.size()) {
                return false;
            }
            switch (text_[at]) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                unsigned cp = 0;
                if (!hex4(text_, at + 1, cp)) {
                    return false;
                }
                at += 4;
                unsigned low = 0;
                /* A UTF-16 surrogate pair is written as two escapes. */
                if (cp >= 0xD800 && cp < 0xDC00 && at + 6 < text_.size() && text_[at + 1] == '\\' &&
                    text_[at + 2] == 'u' && hex4(text_, at + 3, low) && low >= 0xDC00 && low < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    at += 6;
                }
                append_utf8(out, cp);
                break;
            }
            default: return false;
            }
        }
        return false;
    }
};

} // namespace detail

/*
 * A failed brokerlink call: the status (a BrokerStatus value) and the fields
 * of the library's error object. what() is the message, written for a person.
 */
class Error : public std::runtime_error {
public:
    /* Builds the error from a status and the error JSON the call wrote. */
    Error(std::int32_t status, std::string json)
        : std::runtime_error(message_of(status, json)), status_(status), json_(std::move(json))
    {
        const detail::FlatJson fields(json_);
        if (!fields.string_field("code", code_)) {
            code_ = broker_status_name(status);
        }
        fields.string_field("broker_code", broker_code_);
        fields.string_field("broker_message", broker_message_);
        fields.string_field("reason", reason_);
        std::string number;
        if (fields.scalar_field("http_status", number)) {
            /* Digits only, so that a constructor called by `throw` cannot throw itself. */
            for (const char digit : number) {
                if (digit < '0' || digit > '9' || http_status_ > 99999) {
                    http_status_ = 0;
                    break;
                }
                http_status_ = http_status_ * 10 + (digit - '0');
            }
        }
        std::string flag;
        retryable_ = fields.scalar_field("retryable", flag) && flag == "true";
    }

    /* The status code, e.g. BROKER_ERR_AUTH. */
    std::int32_t status() const noexcept { return status_; }
    /* The status name, e.g. "AUTH". */
    const std::string &code() const noexcept { return code_; }
    /* The broker's own error code, empty when the broker gave none. */
    const std::string &broker_code() const noexcept { return broker_code_; }
    /* The broker's own message, empty when the broker gave none. */
    const std::string &broker_message() const noexcept { return broker_message_; }
    /* The HTTP status of the broker's reply, 0 when there was none. */
    int http_status() const noexcept { return http_status_; }
    /* Whether the same call may succeed if retried later. */
    bool retryable() const noexcept { return retryable_; }
    /* Why the broker refused, for a refusal the user can fix ("ip_not_registered",
       "clock_skew", ...: see brokerlink.h), empty otherwise. */
    const std::string &reason() const noexcept { return reason_; }
    /* The whole error object as the library wrote it. */
    const std::string &json() const noexcept { return json_; }

private:
    std::int32_t status_;
    std::string json_;
    std::string code_;
    std::string broker_code_;
    std::string broker_message_;
    std::string reason_;
    int http_status_ = 0;
    bool retryable_ = false;

    static std::string message_of(std::int32_t status, const std::string &json)
    {
        std::string message;
        if (detail::FlatJson(json).string_field("message", message) && !message.empty()) {
            return message;
        }
        return std::string("brokerlink call failed: ") + broker_status_name(status);
    }
};

namespace detail {

/* Takes ownership of a returned string: its text on success, else throws Error. */
inline std::string check(std::int32_t status, char *out_json)
{
    const OwnedString owned(out_json);
    std::string json = owned ? std::string(owned.get()) : std::string();
    if (status != BROKER_OK) {
        throw Error(status, std::move(json));
    }
    return json;
}

/*
 * The C string of an argument. A NUL inside would silently cut the text
 * short in C, so it is refused here.
 */
inline const char *c_str(const std::string &text, const char *name)
{
    if (text.find('\0') != std::string::npos) {
        throw std::invalid_argument(std::string("brokerlink: ") + name + " contains a NUL byte");
    }
    return text.c_str();
}

/* Throws when the loaded library is not the one this header describes. */
inline void check_abi()
{
    if (broker_abi_version() != BROKERLINK_ABI_VERSION) {
        throw std::runtime_error(std::string("brokerlink: the loaded library is version ") + broker_version() +
                                 ", but brokerlink.hpp was built for " BROKERLINK_VERSION);
    }
}

} // namespace detail

/* The loaded library's version, "MAJOR.MINOR.PATCH". */
inline std::string version() { return broker_version(); }

/* The loaded library's ABI version, (major << 16) | minor. */
inline std::uint32_t abi_version() { return broker_abi_version(); }

/* The name of a status code, e.g. "SESSION_EXPIRED"; "UNKNOWN" for others. */
inline std::string status_name(std::int32_t status) { return broker_status_name(status); }

/* The current TOTP code for a base32 secret: {"code":"123456","valid_for_s":17}. */
inline std::string totp(const std::string &base32_secret)
{
    char *out = nullptr;
    const std::int32_t status = broker_totp(detail::c_str(base32_secret, "base32_secret"), &out);
    return detail::check(status, out);
}

/*
 * One broker session: owns a BrokerSession handle and frees it on
 * destruction. Move-only; a moved-from Session holds no handle, and calling
 * it throws Error with BROKER_ERR_INVALID_HANDLE.
 */
class Session {
public:
    /*
     * Creates a logged-out session from the config JSON (see the README for
     * every key). No network call is made. Throws Error on a bad config and
     * std::runtime_error when the loaded library's ABI differs from this
     * header's.
     */
    explicit Session(const std::string &config_json)
    {
        detail::check_abi();
        char *out = nullptr;
        const std::int32_t status = broker_new(detail::c_str(config_json, "config_json"), &handle_, &out);
        description_ = detail::check(status, out);
    }

    ~Session() { broker_free(handle_); }

    Session(Session &&other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), description_(std::move(other.description_))
    {
    }

    Session &operator=(Session &&other) noexcept
    {
        if (this != &other) {
            broker_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            description_ = std::move(other.description_);
        }
        return *this;
    }

    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    /* What broker_new reported: broker, base_url, user_id and device headers. */
    const std::string &description() const noexcept { return description_; }

    /* The browser login address: {"url":"https://..."}. */
    std::string login_url() { return call(broker_login_url); }

    /* Logs in: {"broker","user_id","logged_in_at","access_expires_at"?}. */
    std::string login(const std::string &credentials_json)
    {
        char *out = nullptr;
        const std::int32_t status =
            broker_login(handle_, detail::c_str(credentials_json, "credentials_json"), &out);
        return detail::check(status, out);
    }

    /* Trades the refresh token for new tokens. */
    std::string refresh() { return call(broker_refresh); }

    /* The account holder's profile. */
    std::string get_profile() { return call(broker_get_profile); }

    /* Funds and margins, amounts as exact JSON numbers in rupees. */
    std::string get_rms() { return call(broker_get_rms); }

    /* Ends the session at the broker; the Session stays usable for a new login. */
    std::string logout() { return call(broker_logout); }

    /* The session state, tokens included. A SECRET: store it encrypted. */
    std::string session_export() { return call(broker_session_export); }

    /* Resumes a state from session_export, replacing any current login. */
    std::string session_import(const std::string &state_json)
    {
        char *out = nullptr;
        const std::int32_t status =
            broker_session_import(handle_, detail::c_str(state_json, "state_json"), &out);
        return detail::check(status, out);
    }

    /* The C handle, for calling brokerlink.h directly; still owned by this Session. */
    BrokerSession *native_handle() const noexcept { return handle_; }

private:
    BrokerSession *handle_ = nullptr;
    std::string description_;

    std::string call(std::int32_t (*operation)(BrokerSession *, char **))
    {
        char *out = nullptr;
        const std::int32_t status = operation(handle_, &out);
        return detail::check(status, out);
    }
};

} // namespace brokerlink

#endif /* BROKERLINK_HPP */
