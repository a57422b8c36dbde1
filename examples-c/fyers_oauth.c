/*
 * fyers_oauth.c: log in to Fyers (API v3) in a browser, read the profile and
 * funds, log out. Uses only brokerlink.h and the library.
 *
 * The program prints the Fyers login address ("login_url: ..."), and reads
 * back the address the browser landed on after logging in (the app's
 * redirect URI, carrying ?s=ok&code=200&auth_code=...&state=...), exactly as
 * a user pastes it. The library checks that its state is this session's.
 *
 * Configure with environment variables; the defaults are brokersim's demo
 * app, so `make demo` needs only the base URL:
 *   BROKERLINK_FYERS_BASE_URL      REST base (default: https://api-t1.fyers.in/api/v3)
 *   BROKERLINK_FYERS_APP_ID        app id with its suffix   (FYDEMOAPP1-100)
 *   BROKERLINK_FYERS_APP_SECRET    app secret               (FYDEMOSECRET)
 *   BROKERLINK_FYERS_REDIRECT_URI  the app's redirect URI   (required)
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
    char config[1536], base[600] = "", line[4096], escaped[4096], credentials[4200];
    BrokerSession *session = NULL;
    char *json = NULL;
    const char *base_url = getenv("BROKERLINK_FYERS_BASE_URL");
    const char *redirect_uri = getenv("BROKERLINK_FYERS_REDIRECT_URI");
    int32_t status;
    int failed = 0;

    if (!redirect_uri || !*redirect_uri) {
        fprintf(stderr, "set BROKERLINK_FYERS_REDIRECT_URI to the app's redirect URI\n");
        return 2;
    }
    if (base_url && *base_url) {
        snprintf(base, sizeof base, ",\"base_url\":\"%s\"", base_url);
    }
    snprintf(config, sizeof config,
             "{\"broker\":\"fyers\",\"app_id\":\"%s\",\"app_secret\":\"%s\",\"redirect_uri\":\"%s\"%s}",
             env_or("BROKERLINK_FYERS_APP_ID", "FYDEMOAPP1-100"),
             env_or("BROKERLINK_FYERS_APP_SECRET", "FYDEMOSECRET"), redirect_uri, base);
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
