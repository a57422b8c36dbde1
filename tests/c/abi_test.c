/*
 * abi_test.c: drives libbrokerlink through include/brokerlink.h only, as a
 * host program does. Run by tests/c_abi.rs (under valgrind) against brokersim.
 *
 * usage: abi_test BASE_URL
 * Prints "N passed, N failed" at the end; exits non-zero when a check fails.
 */
#include "brokerlink.h"

#include <stdio.h>
#include <stdint.h>
#include <string.h>

static int passed, failed;

static void check(int ok, int line, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        fprintf(stderr, "FAIL abi_test.c:%d: %s\n", line, what);
    }
}
#define CHECK(cond, what) check((cond) != 0, __LINE__, (what))

/* Checks a call's status and JSON (which must contain needle, when not
 * NULL), then frees the JSON. The call is made before this runs. */
static void expect(int line, int32_t got, char *json, int32_t want, const char *needle, const char *what)
{
    int ok = got == want && json != NULL && (needle == NULL || strstr(json, needle) != NULL);
    if (!ok) {
        fprintf(stderr, "  status %d (%s), want %d (%s); json: %s\n", got, broker_status_name(got), want,
                broker_status_name(want), json ? json : "(null)");
    }
    check(ok, line, what);
    broker_string_free(json);
}

/* `call` writes its result to the local `json`; the comma operator makes
 * sure it has run before `json` is read. */
#define EXPECT(call, want, needle, what)                                      \
    do {                                                                      \
        int32_t status_;                                                      \
        json = NULL;                                                          \
        status_ = (call);                                                     \
        expect(__LINE__, status_, json, (want), (needle), (what));            \
    } while (0)

static const char *PIN_OK = "{\"pin\":\"1234\",\"totp_secret\":\"JBSWY3DPEHPK3PXP\"}";
static const char *PIN_BAD = "{\"pin\":\"0000\",\"totp_secret\":\"JBSWY3DPEHPK3PXP\"}";

static void check_versions(void)
{
    CHECK(strcmp(broker_version(), BROKERLINK_VERSION) == 0, "broker_version == BROKERLINK_VERSION");
    CHECK(broker_abi_version() == BROKERLINK_ABI_VERSION, "abi version matches the header");
    CHECK(strcmp(broker_status_name(BROKER_OK), "OK") == 0, "status name OK");
    CHECK(strcmp(broker_status_name(BROKER_ERR_SESSION_EXPIRED), "SESSION_EXPIRED") == 0, "status name 5");
    CHECK(strcmp(broker_status_name(999), "UNKNOWN") == 0, "unknown status name");
    CHECK(BROKER_ERR_INTERNAL == 13, "status numbers are stable");
}

static void check_bad_input(const char *base_url)
{
    BrokerSession *s = (BrokerSession *)(uintptr_t)1;
    char *json = NULL;
    char config[512];

    EXPECT(broker_new(NULL, &s, &json), BROKER_ERR_INVALID_ARGUMENT, "config_json is NULL", "NULL config");
    CHECK(s == NULL, "a failed broker_new sets *out_session to NULL");
    EXPECT(broker_new("{not json", &s, &json), BROKER_ERR_INVALID_ARGUMENT, "not valid JSON", "bad JSON");
    EXPECT(broker_new("{\"broker\":\"angelone\",\"api_key\":\"k\",\"client_code\":\"C\",\"apikey\":1}", &s, &json),
           BROKER_ERR_INVALID_ARGUMENT, "unknown config key \\\"apikey\\\"", "unknown key");
    EXPECT(broker_new("{\"broker\":\"angel\xff\"}", &s, &json), BROKER_ERR_INVALID_ARGUMENT, "UTF-8", "bad UTF-8");
    CHECK(broker_new("{}", &s, NULL) == BROKER_ERR_INVALID_ARGUMENT, "NULL out_json is allowed");

    snprintf(config, sizeof config,
             "{\"broker\":\"angelone\",\"api_key\":\"k\",\"client_code\":\"C\",\"base_url\":\"%s\"}", base_url);
    EXPECT(broker_new(config, NULL, &json), BROKER_ERR_INVALID_ARGUMENT, "out_session is NULL", "NULL out_session");
    EXPECT(broker_get_rms(NULL, &json), BROKER_ERR_INVALID_HANDLE, "NULL", "NULL handle");
    EXPECT(broker_get_rms((BrokerSession *)(uintptr_t)0xdeadbeef, &json), BROKER_ERR_INVALID_HANDLE, NULL,
           "forged handle");
    EXPECT(broker_totp("JBSWY3DPEHPK3PXP", &json), BROKER_OK, "\"valid_for_s\"", "totp");
    EXPECT(broker_totp("!!", &json), BROKER_ERR_INVALID_ARGUMENT, "base32", "bad totp secret");

    broker_free(NULL);
    broker_string_free(NULL);
}

static int log_lines, log_info_lines;
static void *log_user;

static void on_log(int32_t level, const char *line, void *user)
{
    log_lines++;
    log_info_lines += level == BROKER_LOG_INFO && strstr(line, " INFO login ") != NULL;
    log_user = user;
}

static void check_flow(const char *base_url)
{
    char config[512];
    BrokerSession *s = NULL;
    char *json = NULL;

    /* A generous timeout: under valgrind on a busy machine the first call
       alone (every code path translated once) can take seconds. */
    snprintf(config, sizeof config,
             "{\"broker\":\"angelone\",\"api_key\":\"demo-api-key\",\"client_code\":\"D12345\","
             "\"base_url\":\"%s\",\"timeout_ms\":30000}",
             base_url);
    EXPECT(broker_new(config, &s, &json), BROKER_OK, "\"broker\":\"angelone\"", "new");
    CHECK(s != NULL, "new gives a handle");

    EXPECT(broker_get_rms(s, &json), BROKER_ERR_NOT_LOGGED_IN, "NOT_LOGGED_IN", "rms before login");
    EXPECT(broker_login(s, PIN_BAD, &json), BROKER_ERR_AUTH, "\"broker_code\":\"AB1007\"", "wrong pin");
    broker_set_logger(on_log, &log_lines);
    EXPECT(broker_login(s, PIN_OK, &json), BROKER_OK, "\"user_id\":\"D12345\"", "login");
    broker_set_logger(NULL, NULL);
    CHECK(log_info_lines == 1 && log_user == &log_lines, "the log callback got the login line and user pointer");
    EXPECT(broker_get_profile(s, &json), BROKER_OK, "\"name\":\"Demo Trader\"", "profile");
    EXPECT(broker_get_rms(s, &json), BROKER_OK, "\"available_cash\":12554.55", "rms");
    EXPECT(broker_refresh(s, &json), BROKER_OK, "\"refreshed_at\"", "refresh");
    CHECK(broker_get_rms(s, NULL) == BROKER_OK, "rms with NULL out_json");
    EXPECT(broker_logout(s, &json), BROKER_OK, "\"logged_out\":true", "logout");
    EXPECT(broker_get_profile(s, &json), BROKER_ERR_NOT_LOGGED_IN, NULL, "profile after logout");

    broker_free(s);
    EXPECT(broker_get_rms(s, &json), BROKER_ERR_INVALID_HANDLE, "INVALID_HANDLE", "freed handle");
    broker_free(s); /* a double free is harmless */
}

static void check_network_errors(const char *closed_url)
{
    char config[512];
    BrokerSession *s = NULL;
    char *json = NULL;

    snprintf(config, sizeof config,
             "{\"broker\":\"angelone\",\"api_key\":\"k\",\"client_code\":\"C\",\"base_url\":\"%s\","
             "\"timeout_ms\":2000}",
             closed_url);
    EXPECT(broker_new(config, &s, &json), BROKER_OK, NULL, "new offline");
    EXPECT(broker_login(s, PIN_OK, &json), BROKER_ERR_NETWORK, "\"retryable\":true", "connection refused");
    broker_free(s);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s BASE_URL CLOSED_URL\n", argv[0]);
        return 2;
    }
    check_versions();
    check_bad_input(argv[1]);
    check_flow(argv[1]);
    check_network_errors(argv[2]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
