/*
 * noren_oauth.c: log in to a Noren OMS broker (Kambala, Shoonya, Zebu,
 * TradeSmart, Flattrade) the OAuth way, read the profile and funds, log out.
 * Uses only brokerlink.h and the library.
 *
 * The program prints the broker's login address ("login_url: ..."), and
 * reads back the address the browser landed on after logging in (the app's
 * redirect URL, carrying ?code=...), exactly as a user pastes it.
 *
 * Configure with environment variables; the defaults are brokersim's Zebu
 * demo app, so `make demo` needs only the two URLs:
 *   BROKERLINK_NOREN_PRESET     kambala|shoonya|zebu|tradesmart|flattrade (zebu)
 *   BROKERLINK_NOREN_BASE_URL   REST base (default: the preset's real one)
 *   BROKERLINK_NOREN_OAUTH_URL  login page (default: the preset's real one)
 *   BROKERLINK_NOREN_CLIENT_ID  OAuth client id        (zebu-client)
 *   BROKERLINK_NOREN_SECRET     OAuth secret           (zebu-secret)
 *   BROKERLINK_CONFIG           the whole config JSON instead: any broker with a browser
 *                               login (Upstox: {"broker":"upstox","api_key":...})
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
    char config[1024], extra[512] = "", line[2048], escaped[2048], credentials[2200];
    BrokerSession *session = NULL;
    char *json = NULL;
    const char *base = getenv("BROKERLINK_NOREN_BASE_URL");
    const char *oauth = getenv("BROKERLINK_NOREN_OAUTH_URL");
    int32_t status;
    int failed = 0;

    if (base && *base) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"base_url\":\"%s\"", base);
    }
    if (oauth && *oauth) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"oauth_url\":\"%s\"", oauth);
    }
    snprintf(config, sizeof config,
             "{\"broker\":\"noren\",\"preset\":\"%s\",\"client_id\":\"%s\",\"secret\":\"%s\"%s}",
             env_or("BROKERLINK_NOREN_PRESET", "zebu"), env_or("BROKERLINK_NOREN_CLIENT_ID", "zebu-client"),
             env_or("BROKERLINK_NOREN_SECRET", "zebu-secret"), extra);
    if (getenv("BROKERLINK_CONFIG") && *getenv("BROKERLINK_CONFIG")) {
        snprintf(config, sizeof config, "%s", getenv("BROKERLINK_CONFIG"));
    }
    status = broker_new(config, &session, &json);
    if (show("new", status, json) != BROKER_OK) {
        return 1;
    }
    json = NULL;
    status = broker_login_url(session, &json);
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

    json = NULL;
    status = broker_login(session, credentials, &json);
    failed = show("login", status, json) != BROKER_OK;
    if (!failed) {
        failed |= step("profile", broker_get_profile, session) != BROKER_OK;
        failed |= step("rms", broker_get_rms, session) != BROKER_OK;
        failed |= step("logout", broker_logout, session) != BROKER_OK;
    }
    broker_free(session);
    return failed ? 1 : 0;
}
