/*
 * dhan.c: log in to DhanHQ (API v2), read the profile and funds, renew the
 * token, log out. Uses only brokerlink.h and the library.
 *
 * Two logins:
 *   - PIN + TOTP (the default): no browser; the library computes the TOTP
 *     from the base32 secret.
 *   - the consent login (BROKERLINK_DHAN_LOGIN=consent): the program asks
 *     Dhan for a consent (broker_login_url makes that network call), prints
 *     the address to open ("login_url: ..."), and reads back the address
 *     the browser landed on (the app's redirect URL, carrying ?tokenId=...).
 *
 * Dhan has no logout endpoint: broker_logout forgets the token here and
 * says "revoked_at_broker":false.
 *
 * Configure with environment variables; the defaults are brokersim's Dhan
 * demo account, so `make demo` needs only the two URLs:
 *   BROKERLINK_DHAN_BASE_URL     REST base (default: https://api.dhan.co/v2)
 *   BROKERLINK_DHAN_AUTH_URL     auth host (default: https://auth.dhan.co)
 *   BROKERLINK_DHAN_CLIENT_ID    Dhan client id       (1000000001)
 *   BROKERLINK_DHAN_PIN          PIN                  (123456)
 *   BROKERLINK_DHAN_TOTP_SECRET  base32 TOTP secret   (JBSWY3DPEHPK3PXP)
 *   BROKERLINK_DHAN_APP_ID       API key, consent     (dhan-demo-app-id)
 *   BROKERLINK_DHAN_APP_SECRET   API secret, consent  (dhan-demo-app-secret)
 *   BROKERLINK_DHAN_LOGIN        pin (default) or consent
 */
#include "brokerlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return value && *value ? value : fallback;
}

/* Prints one step's outcome and JSON, frees the JSON, returns the status. */
static int32_t show(const char *step, int32_t status, char *json)
{
    printf("== %s: %s\n%s\n", step, broker_status_name(status), json ? json : "");
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

/* Copies text into out as the inside of a JSON string: quotes and
 * backslashes escaped, control characters dropped. */
static void json_string(char *out, size_t size, const char *text)
{
    size_t n = 0;
    for (; *text && n + 3 < size; text++) {
        if (*text == '"' || *text == '\\') out[n++] = '\\';
        if ((unsigned char)*text >= 0x20) out[n++] = *text;
    }
    out[n] = '\0';
}

int main(void)
{
    char config[2048], extra[1024] = "", line[2048], escaped[2048], credentials[2200];
    BrokerSession *session = NULL;
    char *json = NULL;
    const char *base = getenv("BROKERLINK_DHAN_BASE_URL");
    const char *auth = getenv("BROKERLINK_DHAN_AUTH_URL");
    const int consent = strcmp(env_or("BROKERLINK_DHAN_LOGIN", "pin"), "consent") == 0;
    int32_t status;
    int failed = 0;

    if (broker_abi_version() != BROKERLINK_ABI_VERSION) {
        fprintf(stderr, "library %s does not match brokerlink.h %s\n", broker_version(), BROKERLINK_VERSION);
        return 1;
    }
    if (base && *base) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"base_url\":\"%s\"", base);
    }
    if (auth && *auth) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"auth_url\":\"%s\"", auth);
    }
    snprintf(config, sizeof config,
             "{\"broker\":\"dhan\",\"client_id\":\"%s\",\"app_id\":\"%s\",\"app_secret\":\"%s\"%s}",
             env_or("BROKERLINK_DHAN_CLIENT_ID", "1000000001"),
             env_or("BROKERLINK_DHAN_APP_ID", "dhan-demo-app-id"),
             env_or("BROKERLINK_DHAN_APP_SECRET", "dhan-demo-app-secret"), extra);
    status = broker_new(config, &session, &json);
    if (show("new", status, json) != BROKER_OK) {
        return 1;
    }

    if (consent) {
        json = NULL;
        status = broker_login_url(session, &json); /* asks Dhan for a consent first */
        if (status != BROKER_OK) {
            show("login url", status, json);
            broker_free(session);
            return 1;
        }
        /* {"url":"..."}: print the address alone on its line, for a person or a script. */
        printf("login_url: %.*s\n", (int)(strlen(json) - 10), json + 8);
        broker_string_free(json);
        printf("Open it in a browser, log in, and paste the address the browser lands on:\n");
        fflush(stdout);
        if (fgets(line, sizeof line, stdin) == NULL) {
            broker_free(session);
            return 1;
        }
        line[strcspn(line, "\r\n")] = '\0';
        json_string(escaped, sizeof escaped, line);
        snprintf(credentials, sizeof credentials, "{\"redirect_url\":\"%s\"}", escaped);
    } else {
        json_string(escaped, sizeof escaped, env_or("BROKERLINK_DHAN_PIN", "123456"));
        snprintf(credentials, sizeof credentials, "{\"pin\":\"%s\",\"totp_secret\":\"%s\"}", escaped,
                 env_or("BROKERLINK_DHAN_TOTP_SECRET", "JBSWY3DPEHPK3PXP"));
    }

    json = NULL;
    status = broker_login(session, credentials, &json);
    memset(credentials, 0, sizeof credentials); /* it held the PIN */
    failed = show("login", status, json) != BROKER_OK;
    if (!failed) {
        failed |= step("profile", broker_get_profile, session) != BROKER_OK;
        failed |= step("rms", broker_get_rms, session) != BROKER_OK;
        if (!consent) {
            /* RenewToken: a new 24-hour token; Dhan renews tokens its users generate. */
            failed |= step("refresh", broker_refresh, session) != BROKER_OK;
        }
        failed |= step("logout", broker_logout, session) != BROKER_OK;
    }
    broker_free(session);
    return failed ? 1 : 0;
}
