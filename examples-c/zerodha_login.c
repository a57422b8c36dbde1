/*
 * zerodha_login.c: log in to Zerodha Kite Connect in a browser, read the
 * profile and funds, log out. Uses only brokerlink.h and the library.
 *
 * The program prints Kite's login address ("login_url: ..."), and reads back
 * the address the browser landed on after logging in (the app's redirect
 * URL, carrying ?...&request_token=...), exactly as a user pastes it. A
 * request token is single-use and lives a couple of minutes; Kite sessions
 * end at 6 AM, so this is a daily step.
 *
 * Configure with environment variables; the defaults are brokersim's demo
 * app, so `make demo` needs only the two URLs:
 *   BROKERLINK_ZERODHA_API_KEY     the Kite Connect app's api_key    (zerodha-api-key)
 *   BROKERLINK_ZERODHA_API_SECRET  its api_secret                    (zerodha-api-secret)
 *   BROKERLINK_ZERODHA_BASE_URL    REST base (default https://api.kite.trade)
 *   BROKERLINK_ZERODHA_OAUTH_URL   login page (default https://kite.zerodha.com/connect/login)
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
    const char *base = getenv("BROKERLINK_ZERODHA_BASE_URL");
    const char *oauth = getenv("BROKERLINK_ZERODHA_OAUTH_URL");
    int32_t status;
    int failed = 0;

    if (base && *base) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"base_url\":\"%s\"", base);
    }
    if (oauth && *oauth) {
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",\"oauth_url\":\"%s\"", oauth);
    }
    snprintf(config, sizeof config, "{\"broker\":\"zerodha\",\"api_key\":\"%s\",\"api_secret\":\"%s\"%s}",
             env_or("BROKERLINK_ZERODHA_API_KEY", "zerodha-api-key"),
             env_or("BROKERLINK_ZERODHA_API_SECRET", "zerodha-api-secret"), extra);
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
        /* Without a refresh token (every app but approved platforms) this is
         * BROKER_ERR_UNSUPPORTED: tomorrow needs a new browser login. */
        step("refresh", broker_refresh, session);
        failed |= step("logout", broker_logout, session) != BROKER_OK;
    }
    broker_free(session);
    return failed ? 1 : 0;
}
