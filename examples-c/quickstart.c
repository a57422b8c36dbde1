/*
 * quickstart.c: log in to Angel One, read the profile and funds, refresh the
 * session, read funds again, log out. Uses only brokerlink.h and the library.
 *
 * Build (after `cargo build --release`):
 *   cc -Iinclude examples-c/quickstart.c -Ltarget/release -lbrokerlink \
 *      -Wl,-rpath,target/release -o quickstart
 *
 * Configure with environment variables; the defaults are brokersim's demo
 * account, so `make demo` needs only BROKERLINK_BASE_URL:
 *   BROKERLINK_BASE_URL     e.g. http://127.0.0.1:8700 (default: Angel One's real API)
 *   BROKERLINK_API_KEY      SmartAPI app key        (demo-api-key)
 *   BROKERLINK_CLIENT_CODE  client code             (D12345)
 *   BROKERLINK_PIN          4-digit MPIN            (1234)
 *   BROKERLINK_TOTP_SECRET  base32 TOTP secret      (JBSWY3DPEHPK3PXP)
 */
#include "brokerlink.h"

#include <stdio.h>
#include <stdlib.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

/* What a program might do about each status. */
static const char *advice(int32_t status)
{
    switch (status) {
    case BROKER_OK: return "";
    case BROKER_ERR_INVALID_ARGUMENT: return "fix the config or credentials named in the message";
    case BROKER_ERR_INVALID_HANDLE: return "the session was freed: create a new one";
    case BROKER_ERR_NOT_LOGGED_IN: return "call broker_login first";
    case BROKER_ERR_AUTH: return "check the API key, client code, PIN and TOTP secret";
    case BROKER_ERR_SESSION_EXPIRED: return "log in again";
    case BROKER_ERR_RATE_LIMITED: return "wait a second and retry";
    case BROKER_ERR_BROKER: return "the broker refused: see broker_code and broker_message";
    case BROKER_ERR_NETWORK: return "check the network, then retry";
    case BROKER_ERR_TIMEOUT: return "the broker is slow: retry, or raise timeout_ms";
    case BROKER_ERR_TLS: return "check the system clock and certificates";
    case BROKER_ERR_PROTOCOL: return "the broker sent something unexpected: retry later";
    case BROKER_ERR_UNSUPPORTED: return "this broker has no such operation";
    case BROKER_ERR_INTERNAL: return "a bug in brokerlink: please report it";
    default: return "unknown status";
    }
}

/* Prints one step's outcome and JSON, frees the JSON, returns the status. */
static int32_t show(const char *step, int32_t status, char *json)
{
    printf("== %s: %s\n%s\n", step, broker_status_name(status), json ? json : "");
    if (status != BROKER_OK) {
        printf("   -> %s\n", advice(status));
    }
    broker_string_free(json);
    return status;
}

/* Runs one operation on the session and shows it. */
static int32_t step(const char *name, int32_t (*operation)(BrokerSession *, char **), BrokerSession *session)
{
    char *json = NULL;
    int32_t status = operation(session, &json);
    return show(name, status, json);
}

int main(void)
{
    char config[1024];
    char credentials[256];
    BrokerSession *session = NULL;
    char *json = NULL;
    int32_t status;
    int failed;

    if (broker_abi_version() != BROKERLINK_ABI_VERSION) {
        fprintf(stderr, "library %s does not match brokerlink.h %s\n", broker_version(), BROKERLINK_VERSION);
        return 1;
    }
    snprintf(config, sizeof config,
             "{\"broker\":\"angelone\",\"api_key\":\"%s\",\"client_code\":\"%s\",\"base_url\":\"%s\"}",
             env_or("BROKERLINK_API_KEY", "demo-api-key"), env_or("BROKERLINK_CLIENT_CODE", "D12345"),
             env_or("BROKERLINK_BASE_URL", "https://apiconnect.angelone.in"));
    snprintf(credentials, sizeof credentials, "{\"pin\":\"%s\",\"totp_secret\":\"%s\"}",
             env_or("BROKERLINK_PIN", "1234"), env_or("BROKERLINK_TOTP_SECRET", "JBSWY3DPEHPK3PXP"));

    status = broker_new(config, &session, &json);
    if (show("new", status, json) != BROKER_OK) {
        return 1;
    }
    json = NULL;
    status = broker_login(session, credentials, &json);
    failed = show("login", status, json) != BROKER_OK;
    if (!failed) {
        failed |= step("profile", broker_get_profile, session) != BROKER_OK;
        failed |= step("rms", broker_get_rms, session) != BROKER_OK;
        failed |= step("refresh", broker_refresh, session) != BROKER_OK;
        failed |= step("rms after refresh", broker_get_rms, session) != BROKER_OK;
        failed |= step("logout", broker_logout, session) != BROKER_OK;
    }
    broker_free(session);
    return failed ? 1 : 0;
}
